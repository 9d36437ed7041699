import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../functions/domain/transport';
import { transportWarnings } from './transport-warnings';

describe('how a relay reaches its handlers', () => {
  it('knows the hosts that never leave this machine', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '[::1]', '[::ffff:7f00:1]', 'localhost', 'handler.localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.255.255.1', '192.0.2.2', '[fd00::2]', 'tandem-primary.plant.example', 'localhost.example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('warns about plain http off this host, naming the handler and the token', () => {
    const warnings = transportWarnings(['https://a.plant.example:8787', 'http://127.0.0.1:8787', 'http://10.255.255.1:8787'], 'tok', true);
    expect(warnings).toEqual([
      'handler http://10.255.255.1:8787 is plain http to an address off this host: the relay token and boot documents cross the network readable and changeable; use https',
    ]);
    expect(transportWarnings(['http://10.255.255.1:8787'], undefined, true)[0]).toContain(': boot documents cross');
    expect(transportWarnings(['https://a.plant.example', 'http://localhost:8787'], 'tok', true)).toEqual([]);
  });

  it('warns when certificates are not verified', () => {
    expect(transportWarnings(['https://a.plant.example'], 'tok', false)).toEqual(['NODE_TLS_REJECT_UNAUTHORIZED=0: handler certificates are not verified']);
  });
});
