import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeLogEntry } from '../../db/schema';
import { applyChanges } from '../../functions/sync/apply';
import { toWire } from '../../functions/sync/serve';
import { inProcessHandler } from '../support/in-process';

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;
type Json = Record<string, unknown>;

const MAC = 'aa:bb:cc:0a:00:01';

/**
 * One change, made three ways: through the API on server A, pulled from A by server B, and
 * written on server C by a revert. Each way goes through the same rules and leaves the same
 * row, boot document, change-log entry and audit event.
 */
describe('one write path for the API, a revert and a pulled change', () => {
  const servers: Record<'api' | 'pulled' | 'revert', InProcess> = {} as never;
  const relayTokens: Record<string, string> = {};
  let terminalId: string;

  const admin = (h: InProcess, method: string, path: string, body?: unknown) => h.request(method, path, { token: h.adminToken, body });
  const pull = (h: InProcess, changes: ChangeLogEntry[]) => h.db.write((tx) => applyChanges(tx, { serverId: 'pulling', at: new Date() }, changes.map(toWire)));
  const newestChange = async (h: InProcess): Promise<Json> => (await admin(h, 'GET', `/api/v1/changes?recordId=${terminalId}&limit=1`)).body.items[0];
  const newestAudit = async (h: InProcess): Promise<Json> => (await admin(h, 'GET', `/api/v1/audit-events?entityId=${terminalId}&limit=1`)).body.items[0];
  const boot = async (name: keyof typeof servers) => servers[name].request('GET', `/api/v1/boot/terminals/${MAC}`, { token: relayTokens[name] });

  beforeAll(async () => {
    for (const name of ['api', 'pulled', 'revert'] as const) {
      servers[name] = await inProcessHandler({ serverId: `server-${name}` });
      relayTokens[name] = (await admin(servers[name], 'POST', '/api/v1/tokens', { role: 'relay', name: 'relay-a' })).body.token;
      // The terminal tried to boot before it was configured: it waits in the pending list.
      expect((await boot(name)).status).toBe(404);
    }
    const created = await admin(servers.api, 'POST', '/api/v1/terminals', { mac: MAC, name: 'press-1', hardwareModel: 'TC-100' });
    expect(created.status).toBe(201);
    terminalId = created.body.id;
    const createChange = (await admin(servers.api, 'GET', `/api/v1/changes/${(await newestChange(servers.api)).changeId}`)).body as ChangeLogEntry;
    for (const name of ['pulled', 'revert'] as const) expect(await pull(servers[name], [createChange])).toMatchObject({ applied: 1, failed: 0 });
  });
  afterAll(() => Object.values(servers).forEach((h) => h.close()));

  it('clears the pending terminal whichever way the terminal was created', async () => {
    for (const h of Object.values(servers)) expect((await admin(h, 'GET', '/api/v1/pending-terminals')).body.items).toEqual([]);
  });

  it('leaves the same row, boot document, change-log entry and audit event each way', async () => {
    // Through the API.
    expect((await admin(servers.api, 'PATCH', `/api/v1/terminals/${terminalId}`, { hardwareModel: 'TC-200' })).status).toBe(200);
    const apiChange = (await admin(servers.api, 'GET', `/api/v1/changes/${(await newestChange(servers.api)).changeId}`)).body as ChangeLogEntry;
    // Pulled from the peer.
    expect(await pull(servers.pulled, [apiChange])).toMatchObject({ applied: 1, failed: 0 });
    // By a revert: TC-200, then TC-300, and the second change undone.
    await admin(servers.revert, 'PATCH', `/api/v1/terminals/${terminalId}`, { hardwareModel: 'TC-200' });
    await admin(servers.revert, 'PATCH', `/api/v1/terminals/${terminalId}`, { hardwareModel: 'TC-300' });
    const undone = await newestChange(servers.revert);
    expect((await admin(servers.revert, 'POST', `/api/v1/changes/${undone.changeId}/revert`)).status).toBe(201);

    const rows = await Promise.all(Object.values(servers).map(async (h) => (await admin(h, 'GET', `/api/v1/terminals/${terminalId}`)).body as Json));
    const settled = ({ version: _v, updatedAt: _u, ...rest }: Json) => rest;
    for (const row of rows) expect(settled(row)).toEqual(settled(rows[0]));
    expect(rows[0]).toMatchObject({ hardwareModel: 'TC-200', mac: MAC });
    // The pulled copy is the API's row to the letter.
    expect(rows[1]).toEqual(rows[0]);

    const documents = await Promise.all((['api', 'pulled', 'revert'] as const).map(async (name) => (await boot(name)).body as Json));
    for (const document of documents) expect(document).toEqual(documents[0]);
    expect(documents[0]).toMatchObject({ hardwareModel: 'TC-200', mac: MAC });

    const changes = await Promise.all(Object.values(servers).map(newestChange));
    for (const entry of changes) {
      expect(Object.keys(entry).sort()).toEqual(Object.keys(changes[0]).sort());
      expect(entry).toMatchObject({ entity: 'terminal', recordId: terminalId, operation: 'update', status: 'applied', after: { hardwareModel: 'TC-200' } });
    }
    expect(changes[1]).toMatchObject({ changeId: apiChange.changeId, origin: 'server-api', before: { hardwareModel: 'TC-100' } });
    expect(changes[2]).toMatchObject({ origin: 'server-revert', revertOf: undone.changeId, before: { hardwareModel: 'TC-300' } });

    const audits = await Promise.all(Object.values(servers).map(newestAudit));
    for (const event of audits) {
      expect(Object.keys(event).sort()).toEqual(Object.keys(audits[0]).sort());
      expect(event).toMatchObject({ entity: 'terminal', entityId: terminalId, after: { hardwareModel: 'TC-200' } });
    }
    expect(audits.map((e) => `${e.action}@${e.serverId} by ${e.actor}`)).toEqual([
      'terminal.update@server-api by admin:bootstrap-admin',
      'terminal.update@server-api by admin:bootstrap-admin',
      'terminal.revert@server-revert by admin:bootstrap-admin',
    ]);
  });
});
