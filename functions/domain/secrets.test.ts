import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './secrets';

describe('redacting secrets', () => {
  it("replaces a display client's credentials, at any depth of its settings, and keeps the rest", () => {
    const client = { id: 'd1', name: 'hmi', settings: { username: 'plant', password: 'hunter2', gateway: { host: 'gw', sharedSecret: 's3' }, domain: 'PLANT' } };
    expect(redactSecrets('display-client', client)).toEqual({ id: 'd1', name: 'hmi', settings: { username: 'plant', password: REDACTED, gateway: { host: 'gw', sharedSecret: REDACTED }, domain: 'PLANT' } });
    expect(client.settings.password).toBe('hunter2');
  });

  it('leaves other records, empty passwords and missing states alone', () => {
    const terminal = { id: 't1', options: { password: 'not a display client' } };
    expect(redactSecrets('terminal', terminal)).toBe(terminal);
    expect(redactSecrets('display-client', null)).toBeNull();
    expect(redactSecrets('display-client', { settings: { password: '' } })).toEqual({ settings: { password: '' } });
  });
});
