import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client/web';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client';
import { embeddedMigrationsFile, renderEmbeddedMigrations } from '../../db/embed-migrations';
import { embeddedMigrations } from '../../db/embedded-migrations';
import { migrateEmbedded } from '../../db/migrate-embedded';
import { startHranaServer } from '../support/hrana-server';

const dir = mkdtempSync(join(tmpdir(), 'tandem-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database file served over Hrana, as a Worker sees Turso. */
async function overHttp<T>(name: string, work: (client: Client) => Promise<T>): Promise<T> {
  const server = await startHranaServer({ file: join(dir, name) });
  const client = createClient({ url: server.url });
  try {
    return await work(client);
  } finally {
    client.close();
    await server.close();
  }
}

const bookkeeping = (client: Client) =>
  client.execute('SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at').then((r) => r.rows.map((row) => [row.hash, Number(row.created_at)]));

const expectedBookkeeping = embeddedMigrations.map((m) => [m.hash, m.folderMillis]);

describe('migrations embedded for Workers', () => {
  it('match db/migrations (run `npm run db:embed` after drizzle-kit generate)', () => {
    expect(readFileSync(embeddedMigrationsFile, 'utf8')).toBe(renderEmbeddedMigrations());
    expect(embeddedMigrations.length).toBeGreaterThan(0);
  });

  it('leave a database that the Node handler finds up to date', async () => {
    await overHttp('workers-first.db', async (client) => {
      await migrateEmbedded(client, embeddedMigrations);
      expect(await bookkeeping(client)).toEqual(expectedBookkeeping);
    });
    const node = await openDatabase(`file:${join(dir, 'workers-first.db')}`);
    try {
      expect(await bookkeeping(node.client as unknown as Client)).toEqual(expectedBookkeeping);
      const tables = await node.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'terminals'");
      expect(tables.rows).toHaveLength(1);
    } finally {
      node.close();
    }
  });

  it('find a database migrated by the Node handler up to date', async () => {
    const node = await openDatabase(`file:${join(dir, 'node-first.db')}`);
    node.close();
    await overHttp('node-first.db', async (client) => {
      await migrateEmbedded(client, embeddedMigrations);
      await migrateEmbedded(client, embeddedMigrations);
      expect(await bookkeeping(client)).toEqual(expectedBookkeeping);
    });
  });

  it('apply only the migrations newer than the last one recorded, each once', async () => {
    const first = { sql: ['CREATE TABLE a (x)'], folderMillis: 1000, hash: 'h1', bps: true };
    const second = { sql: ['CREATE TABLE b (y)', '\nINSERT INTO b VALUES (1)'], folderMillis: 2000, hash: 'h2', bps: true };
    await overHttp('incremental.db', async (client) => {
      await migrateEmbedded(client, [first]);
      await migrateEmbedded(client, [first, second]);
      await migrateEmbedded(client, [first, second]);
      expect(await bookkeeping(client)).toEqual([
        ['h1', 1000],
        ['h2', 2000],
      ]);
      expect((await client.execute('SELECT count(*) AS n FROM b')).rows[0]!.n).toBe(1);
    });
  });

  it('roll back a migration that fails, with its record', async () => {
    const good = { sql: ['CREATE TABLE c (x)'], folderMillis: 1000, hash: 'h1', bps: true };
    const bad = { sql: ['CREATE TABLE d (y)', 'INSERT INTO nowhere VALUES (1)'], folderMillis: 2000, hash: 'h2', bps: true };
    await overHttp('failing.db', async (client) => {
      await migrateEmbedded(client, [good]);
      await expect(migrateEmbedded(client, [good, bad])).rejects.toThrow(/no such table: nowhere/);
      expect(await bookkeeping(client)).toEqual([['h1', 1000]]);
      const d = await client.execute("SELECT name FROM sqlite_master WHERE name = 'd'");
      expect(d.rows).toHaveLength(0);
    });
  });
});
