import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as licenseTool } from '../../infra/license/cli';
import { apiClient, startHandler, type HandlerProcess } from '../support/handler';
import { logEntries } from '../support/handlers-per-test';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** What a handler keeps on disk and writes to its log gives nobody else a token. */
describe('secrets at rest and in logs', () => {
  let h: HandlerProcess;
  afterAll(() => h?.stop());

  it('a fresh handler makes its data folder 0700, its database files and token file 0600, and logs no token', async () => {
    // A data folder the handler makes itself, under a process umask that would leave it open to all.
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tandem-private-')), 'data');
    const umask = process.umask(0o022);
    try {
      h = await startHandler({ dataDir, env: { TANDEM_ADMIN_TOKEN: '', TANDEM_SERVER_ID: 'private' } });
    } finally {
      process.umask(umask);
    }
    const tokenFile = join(dataDir, 'private-admin-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    // A write, so that the journal holds something.
    expect((await apiClient(h.url, token).post('/api/v1/terminals', { mac: 'aa:bb:cc:0a:00:01', name: 'private-1' })).status).toBe(201);

    expect(modeOf(dataDir)).toBe('700');
    for (const file of ['private.db', 'private.db-wal', 'private.db-shm', 'private-admin-token']) expect([file, modeOf(join(dataDir, file))]).toEqual([file, '600']);
    expect(h.output()).not.toContain(token);
    const created = logEntries(h).find((entry) => /created the bootstrap admin token/.test(String(entry.msg)));
    expect(created).toMatchObject({ file: tokenFile });
    expect(created).not.toHaveProperty('adminToken');
  });

  it("the vendor's licence tool writes its signing key 0600 into a folder it makes 0700", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tandem-vendor-')), 'keys');
    expect(await licenseTool(['keygen', '--out', out], () => {}, {})).toBe(0);
    expect(modeOf(out)).toBe('700');
    expect(modeOf(join(out, 'license-signing-key.pem'))).toBe('600');
  });
});
