import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isPlainHttpToAnotherMachine } from './transport';

describe('plain http to another machine', () => {
  it('tells loopback from other hosts', () => {
    for (const host of ['localhost', 'api.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:7f00:1]']) expect([host, isLoopbackHost(host)]).toEqual([host, true]);
    for (const host of ['10.0.0.5', '192.0.2.2', 'tandem-primary.plant.example', '[fd00::2]', '0.0.0.0', '128.0.0.1', 'localhost.example']) expect([host, isLoopbackHost(host)]).toEqual([host, false]);
  });

  it('flags http to another machine, not https and not loopback', () => {
    expect(isPlainHttpToAnotherMachine('http://10.20.0.5:8787')).toBe(true);
    expect(isPlainHttpToAnotherMachine('http://tandem-secondary.plant.example:8787/')).toBe(true);
    expect(isPlainHttpToAnotherMachine('https://10.20.0.5:8787')).toBe(false);
    expect(isPlainHttpToAnotherMachine('http://127.0.0.1:8788')).toBe(false);
    expect(isPlainHttpToAnotherMachine('http://[::1]:8788')).toBe(false);
  });
});
