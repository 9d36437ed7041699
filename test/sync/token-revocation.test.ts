import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHandler } from '../support/in-process';
import { freePort } from '../support/ports';

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;

describe('revoking a token on one server of a pair', () => {
  let a: InProcess;
  let b: InProcess;
  let server: ReturnType<typeof serve>;
  beforeAll(async () => {
    a = await inProcessHandler({ serverId: 'server-a' });
    const peerToken = (await a.request('POST', '/api/v1/tokens', { token: a.adminToken, body: { role: 'peer', name: 'b' } })).body.token;
    const port = await freePort();
    server = serve({ fetch: a.app.fetch, hostname: '127.0.0.1', port });
    b = await inProcessHandler({ serverId: 'server-b', peerUrl: `http://127.0.0.1:${port}`, peerToken });
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    a?.close();
    b?.close();
  });

  it('revokes it on the other server too, and it cannot be registered again', async () => {
    const shared = (await a.request('POST', '/api/v1/tokens', { token: a.adminToken, body: { role: 'relay', name: 'relay-pair' } })).body;
    const onB = await b.request('POST', '/api/v1/tokens', { token: b.adminToken, body: { role: 'relay', name: 'relay-pair', token: shared.token } });
    expect(onB.status).toBe(201);
    const boot = (h: InProcess) => h.request('GET', '/api/v1/boot/terminals/aa:bb:cc:0b:00:01', { token: shared.token });
    for (const h of [a, b]) expect((await boot(h)).body.code).toBe('unknown_terminal');

    expect((await a.request('DELETE', `/api/v1/tokens/${shared.id}`, { token: a.adminToken })).status).toBe(204);
    expect((await boot(a)).body.code).toBe('invalid_token');
    expect(await b.app.services.sync.requestPull()).toMatchObject({ outcome: 'synced', failed: 0 });
    expect((await boot(b)).body.code).toBe('invalid_token');

    const again = await b.request('POST', '/api/v1/tokens', { token: b.adminToken, body: { role: 'relay', name: 'relay-pair-2', token: shared.token } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('token_revoked');
    const listed = (await b.request('GET', '/api/v1/tokens', { token: b.adminToken })).body.items.find((t: { name: string }) => t.name === 'relay-pair');
    expect(listed.revokedAt).not.toBeNull();
  });

  it('cannot be undone by reverting the revocation', async () => {
    const revocation = (await a.request('GET', '/api/v1/changes?entity=token-revocation&limit=1', { token: a.adminToken })).body.items[0];
    const res = await a.request('POST', `/api/v1/changes/${revocation.changeId}/revert?force=true`, { token: a.adminToken });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'record_not_deletable', entity: 'token-revocation' });
  });
});
