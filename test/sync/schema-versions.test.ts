import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client';
import { inProcessHandler, type OpenTestDatabase } from '../support/in-process';
import { nextReleaseMigrations, openAsNextRelease, openMigratedByNextRelease, releaseSchemaVersion } from '../upgrade/next-release';

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;

/**
 * CI migrates both servers' databases, then deploys the handlers one at a time: for a while a
 * handler of the previous release runs on a database the next release migrated. Its code does
 * not know the new columns, so a change from the next release applied by it would lose them for
 * good. The pair compares the releases the two run, not what their databases hold.
 */
describe('the schema version a pair compares is the release each server runs', () => {
  const release = releaseSchemaVersion();
  const opened: InProcess[] = [];
  let nextRelease: string;

  /** A server of `open`'s release that pulls from `peer` (no socket: its requests go to the peer's app). */
  async function pullerOf(peer: InProcess, serverId: string, open: OpenTestDatabase): Promise<InProcess> {
    const token = (await peer.request('POST', '/api/v1/tokens', { token: peer.adminToken, body: { role: 'peer', name: serverId } })).body.token;
    const puller = await inProcessHandler({ serverId, peerUrl: 'http://peer.test', peerToken: token, peerFetch: async (url, init) => peer.app.request(url, init) }, open);
    opened.push(puller);
    return puller;
  }
  async function server(serverId: string, open: OpenTestDatabase): Promise<InProcess> {
    const handler = await inProcessHandler({ serverId }, open);
    opened.push(handler);
    return handler;
  }
  const addTerminalServer = async (on: InProcess, name: string) =>
    expect((await on.request('POST', '/api/v1/terminal-servers', { token: on.adminToken, body: { name, host: '10.9.0.1' } })).status).toBe(201);
  const terminalServerNames = async (on: InProcess) =>
    (await on.request('GET', '/api/v1/terminal-servers', { token: on.adminToken })).body.items.map((item: { name: string }) => item.name);

  beforeAll(() => {
    nextRelease = nextReleaseMigrations();
  });
  afterAll(() => {
    for (const handler of opened) handler.close();
  });

  it('names its own release in /healthz, and what its database holds beside it', async () => {
    const previous = await server('server-q', openMigratedByNextRelease(nextRelease));
    const upgraded = await server('server-p', openAsNextRelease(nextRelease));
    expect((await previous.request('GET', '/healthz')).body).toMatchObject({ schemaVersion: release, databaseSchemaVersion: release + 1 });
    expect((await upgraded.request('GET', '/healthz')).body).toMatchObject({ schemaVersion: release + 1, databaseSchemaVersion: release + 1 });
  });

  it('takes no change from a peer that runs the next release, on a database that release migrated', async () => {
    const upgraded = await server('server-p', openAsNextRelease(nextRelease));
    await addTerminalServer(upgraded, 'rds-next-release');
    const previous = await pullerOf(upgraded, 'server-q', openMigratedByNextRelease(nextRelease));
    const result = await previous.app.services.sync.requestPull();
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({ code: 'schema_mismatch' });
    expect(result.error!.detail).toContain(`schema version ${release + 1} and the peer (server-q) at ${release}`);
    expect(await terminalServerNames(previous)).toEqual([]);
  });

  it('synchronises with a peer of its own release, whichever of their databases the next release migrated', async () => {
    const sameRelease = await server('server-r', openDatabase);
    await addTerminalServer(sameRelease, 'rds-same-release');
    const previous = await pullerOf(sameRelease, 'server-q', openMigratedByNextRelease(nextRelease));
    const result = await previous.app.services.sync.requestPull();
    expect(result.outcome, JSON.stringify(result.error)).toBe('synced');
    expect(await terminalServerNames(previous)).toEqual(['rds-same-release']);
  });
});
