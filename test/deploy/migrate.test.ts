import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedMigrations } from '../../db/embedded-migrations';
import { migrateEmbedded } from '../../db/migrate-embedded';
import { repoRoot } from '../../infra/local/processes';
import { tempDir } from '../relay/support/files';
import { startHranaServer, type HranaServer } from '../support/hrana-server';

const run = promisify(execFile);
const migrationCount = (JSON.parse(readFileSync(join(repoRoot, 'db/migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

/** The migrate step of deploy.yml, as CI runs it. */
function migrate(env: Record<string, string>) {
  return run(join(repoRoot, 'node_modules/.bin/drizzle-kit'), ['migrate', '--config', 'infra/deploy/drizzle-migrate.config.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env },
    timeout: 120_000,
  }).then(
    () => 0,
    (failed: { code: number }) => failed.code,
  );
}

/**
 * CI migrates each server's database over the network (a libSQL server: Turso or sqld) before
 * it deploys the handlers. The Hrana server of the tests stands in for it.
 */
describe('migrating a server database from CI', { timeout: 180_000 }, () => {
  let database: HranaServer;
  const authToken = 'db-token-of-this-server';
  const client = () => createClient({ url: database.url, authToken });
  const applied = async () => {
    const db = client();
    try {
      return Number((await db.execute('SELECT count(*) AS n FROM __drizzle_migrations')).rows[0].n);
    } catch {
      return 0;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    database = await startHranaServer({ file: join(tempDir('tandem-migrate'), 'primary.db'), authToken });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('refuses a database it cannot authenticate to, and changes nothing', async () => {
    expect(await migrate({ DATABASE_URL: database.url, DATABASE_AUTH_TOKEN: 'not-the-token' })).not.toBe(0);
    expect(await applied()).toBe(0);
  });

  it('refuses to run without a database URL', async () => {
    expect(await migrate({})).not.toBe(0);
  });

  it('applies every migration with drizzle-kit, once', async () => {
    expect(await migrate({ DATABASE_URL: database.url, DATABASE_AUTH_TOKEN: authToken })).toBe(0);
    expect(await applied()).toBe(migrationCount);
    const db = client();
    const tables = (await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((row) => row.name);
    db.close();
    expect(tables).toEqual(expect.arrayContaining(['terminals', 'terminal_groups', 'firmware_packages']));
    expect(await migrate({ DATABASE_URL: database.url, DATABASE_AUTH_TOKEN: authToken })).toBe(0);
    expect(await applied()).toBe(migrationCount);
  });

  it('leaves the Worker nothing to apply on its first request (the same bookkeeping as its embedded migrations)', async () => {
    const db = client();
    try {
      await migrateEmbedded(db, embeddedMigrations);
    } finally {
      db.close();
    }
    expect(embeddedMigrations).toHaveLength(migrationCount);
    expect(await applied()).toBe(migrationCount);
  });
});
