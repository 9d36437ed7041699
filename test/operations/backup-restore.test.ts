import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/processes';
import { tempDir } from '../relay/support/files';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { configurationOf, eventually, settled, startPair, type Pair } from '../support/pair';
import { tandem } from './support';

/** Every change id a server knows (its own and the peer's), read page by page. */
async function changeIds(api: ApiClient): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < 1_000_000; offset += 1000) {
    const page = (await api.get(`/api/v1/changes?limit=1000&offset=${offset}`)).body;
    ids.push(...page.items.map((c: { changeId: string }) => c.changeId));
    if (page.items.length < 1000) break;
  }
  return ids;
}

const loopName = (i: number) => `loop-${String(i).padStart(4, '0')}`;
const loopMac = (i: number) => `02:00:5e:40:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

/** `tandem backup` as a child process that runs while the test goes on writing. */
function backupInBackground(handler: HandlerProcess, file: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['infra/cli/tandem.mjs', 'backup', file], {
    cwd: repoRoot,
    env: { ...process.env, TANDEM_URL: handler.url, TANDEM_TOKEN: handler.adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('tandem backup / restore: an online copy, restored into a fresh server that rejoins its peer', { timeout: 600_000 }, () => {
  let pair: Pair;
  const dir = tempDir('tandem-backup');
  const backupFile = join(dir, 'server-a.db');
  let written = 0;
  let backupWindow: { from: number; to: number };
  let restored: HandlerProcess | null = null;
  let copy: HandlerProcess | null = null;

  beforeAll(async () => {
    pair = await startPair({ mode: 'full', env: { TANDEM_SYNC_INTERVAL_MS: '1000' } });
    const group = await pair.a.admin.post('/api/v1/groups', { name: 'line', videoResolution: '1920x1080' });
    expect(group.status).toBe(201);
    await settled(pair);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([pair?.a.handler.kill(), pair?.b.handler.kill(), restored?.kill(), copy?.kill()]);
  });

  it('backs a server up while it takes writes: the copy holds every write up to one moment, none after', async () => {
    // A bounded write loop on server-a (and now and then on server-b); the backup starts after
    // 40 writes, and the loop goes on until 30 writes after it ended.
    let backup: Promise<{ code: number | null; output: string }> | null = null;
    let doneAt: number | null = null;
    for (let i = 0; i < 2000 && (doneAt === null || i < doneAt + 30); i++) {
      const res = await pair.a.admin.post('/api/v1/terminals', { mac: loopMac(i), name: loopName(i) });
      expect(res.status).toBe(201);
      written = i + 1;
      if (i % 7 === 3) expect((await pair.a.admin.patch(`/api/v1/terminals/${res.body.id}`, { videoResolution: '1280x1024' })).status).toBe(200);
      if (i % 10 === 5) expect((await pair.b.admin.post('/api/v1/terminals', { mac: loopMac(1000 + i), name: `peer-${i}` })).status).toBe(201);
      if (i === 40) {
        const from = written;
        backup = backupInBackground(pair.a.handler, backupFile).then((r) => {
          doneAt = written;
          backupWindow = { from, to: written };
          return r;
        });
      }
    }
    const result = await backup!;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/backed up to .*server-a\.db: [\d.]+ \w+ in [\d.]+ s/);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(backupWindow.to).toBeLessThan(written);

    // The copy, opened on its own (no peer), holds the writes 0..k-1 for one k inside the backup's window.
    copy = await restoreAndStart(backupFile, { TANDEM_SERVER_ID: 'server-a' }, ['--same-installation']);
    const names = new Set((await configurationSnapshot(apiClient(copy.url, copy.adminToken))).terminals.map((t) => t.name));
    const k = [...Array(written).keys()].findIndex((i) => !names.has(loopName(i)));
    expect(k).toBeGreaterThanOrEqual(backupWindow.from);
    expect(k).toBeLessThanOrEqual(backupWindow.to);
    for (let i = k; i < written; i++) expect(names.has(loopName(i)), `write ${i} after the copy's moment`).toBe(false);
    await copy.kill();
    copy = null;
  });

  it('restores into a fresh server in place of the lost one; the pair converges with nothing lost or doubled', async () => {
    await settled(pair);
    const before = await configurationOf(pair.a.admin);
    const idsBefore = await changeIds(pair.a.admin);
    const portA = pair.a.handler.port;
    await pair.a.handler.kill();
    // While server-a is down, server-b goes on taking writes.
    for (let i = 0; i < 5; i++) expect((await pair.b.admin.post('/api/v1/terminals', { mac: loopMac(1900 + i), name: `while-down-${i}` })).status).toBe(201);

    restored = await restoreAndStart(backupFile, pair.a.handler.env, ['--same-installation'], portA);
    const adminA = apiClient(restored.url, restored.adminToken);
    pair.a = { handler: restored, admin: adminA };
    await eventually(adminA, '/api/v1/sync/status', (r) => r.body.restore?.recoveredAt != null, 'the restored server to take back its own changes', 60_000);
    await settled(pair, 60_000);

    const [configA, configB] = await Promise.all([configurationOf(adminA), configurationOf(pair.b.admin)]);
    expect(configA).toEqual(configB);
    // Everything server-a had before it was lost is back, with what server-b wrote meanwhile.
    for (const [kind, records] of Object.entries(before)) for (const [id, record] of Object.entries(records)) expect(configA[kind][id], `${kind} ${id}`).toEqual(record);
    const names = new Set(Object.values(configA.terminals).map((t) => String((t as { name: string }).name)));
    expect([...names].filter((name) => name.startsWith('while-down-'))).toHaveLength(5);
    for (let i = 0; i < written; i++) expect(names.has(loopName(i)), loopName(i)).toBe(true);

    const [idsA, idsB] = await Promise.all([changeIds(adminA), changeIds(pair.b.admin)]);
    expect(new Set(idsA).size).toBe(idsA.length);
    expect(new Set(idsB).size).toBe(idsB.length);
    expect(new Set(idsA)).toEqual(new Set(idsB));
    for (const id of idsBefore) expect(idsA).toContain(id);
    // Nothing applied twice: no change failed, no conflict was made up by the replay.
    const status = (await adminA.get('/api/v1/sync/status')).body;
    expect(status).toMatchObject({ failedChanges: 0, openConflicts: 0 });
    expect((await pair.b.admin.get('/api/v1/sync/status')).body).toMatchObject({ failedChanges: 0, openConflicts: 0 });

    // The licence moved with the kept installation; both sides go on taking writes that reach the other.
    expect((await adminA.get('/api/v1/license')).body).toMatchObject({ mode: 'full', problem: null });
    expect((await adminA.post('/api/v1/terminals', { mac: '02:00:5e:50:00:01', name: 'after-restore-a' })).status).toBe(201);
    expect((await pair.b.admin.post('/api/v1/terminals', { mac: '02:00:5e:50:00:02', name: 'after-restore-b' })).status).toBe(201);
    await settled(pair, 60_000);
    expect(await configurationOf(adminA)).toEqual(await configurationOf(pair.b.admin));
    const audit = (await adminA.get('/api/v1/audit-events?limit=500')).body.items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['server.restore', 'sync.recovered', 'server.backup']));
  });

  it('restored onto a second machine, a copy is a new installation: the licence does not follow it', async () => {
    const serverA = (await pair.a.admin.get('/api/v1/server')).body.installationId;
    const second = tempDir('tandem-second');
    const { stdout } = await tandem(pair.a.handler, ['restore', backupFile], { TANDEM_DATA_DIR: second, TANDEM_SERVER_ID: 'server-a' });
    const newId = /new installation id (TDM-[0-9A-Z-]+)/.exec(stdout)?.[1];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(serverA);
    expect(stdout).toContain('binds the backed-up installation, not this one');

    copy = await startHandler({ dataDir: second, env: { ...withoutPort(pair.a.handler.env), TANDEM_DATA_DIR: second, TANDEM_PEER_URL: '', TANDEM_PEER_TOKEN: '' } });
    const admin = apiClient(copy.url, copy.adminToken);
    expect((await admin.get('/api/v1/server')).body.installationId).toBe(newId);
    expect((await admin.get('/api/v1/license')).body.problem).toMatchObject({ code: 'license_wrong_installation' });
    const relay = apiClient(copy.url, await createToken(admin, 'relay'));
    const boot = await relay.get(`/api/v1/boot/terminals/${loopMac(0)}`);
    expect(boot.status).toBe(403);
    expect(boot.body.code).toBe('license_wrong_installation');
  });

  it('refuses to restore over a database, or from a file that is not a backup', async () => {
    await expect(tandem(pair.a.handler, ['restore', backupFile], { TANDEM_DATA_DIR: restored!.dataDir, TANDEM_SERVER_ID: 'server-a' })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('database_exists'),
    });
    const notABackup = join(dir, 'notes.db');
    writeFileSync(notABackup, 'just some text, not a database');
    await expect(tandem(pair.a.handler, ['restore', notABackup], { TANDEM_DATA_DIR: tempDir('tandem-empty'), TANDEM_SERVER_ID: 'server-a' })).rejects.toMatchObject({
      stderr: expect.stringContaining('not_a_backup'),
    });
  });
});

/** `tandem restore` into a fresh data folder, then the handler started on it with `env` (its peer included). */
async function restoreAndStart(backupFile: string, env: Record<string, string>, flags: string[], port?: number): Promise<HandlerProcess> {
  const dataDir = tempDir('tandem-restored');
  const { stdout } = await tandem({ url: 'http://127.0.0.1:9', adminToken: 'unused' }, ['restore', backupFile, ...flags], { TANDEM_DATA_DIR: dataDir, TANDEM_SERVER_ID: env.TANDEM_SERVER_ID });
  expect(stdout).toContain(`restored ${backupFile}`);
  const alone: Record<string, string> = port === undefined ? { TANDEM_PEER_URL: '', TANDEM_PEER_TOKEN: '' } : {};
  return startHandler({ dataDir, port, env: { ...withoutPort(env), TANDEM_DATA_DIR: dataDir, ...alone } });
}

/** A handler's settings for another port (startHandler picks a free one). */
const withoutPort = ({ PORT: _port, ...env }: Record<string, string>) => env;

async function configurationSnapshot(api: ApiClient) {
  const config = await configurationOf(api);
  return { terminals: Object.values(config.terminals) as { name: string }[] };
}
