import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { wrapDatabase, type Database } from './database';
import * as schema from './schema';

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Opens the server's database from a libSQL URL (a `file:` path, or `libsql://` /
 * `https://` for Turso or sqld) and brings its schema up to date: the release's migrations,
 * then those of `extraMigrationsFolder` (drizzle-kit's layout; the rolling-upgrade drill's next
 * release), which drizzle's migrator records in the same table after them.
 */
export async function openDatabase(url: string, authToken?: string, extraMigrationsFolder?: string): Promise<Database> {
  const isFile = url.startsWith('file:');
  if (isFile) {
    const path = url.slice('file:'.length).split('?')[0];
    if (path && path !== ':memory:') makePrivate(path);
  }
  const client = createClient({ url, authToken });
  if (isFile) {
    // WAL lets boots read while an admin writes; it is stored in the file, so it sticks.
    await client.execute('PRAGMA journal_mode=WAL');
    await client.execute('PRAGMA synchronous=NORMAL');
  }
  const orm = drizzle(client, { schema });
  const folders = extraMigrationsFolder ? [migrationsFolder, extraMigrationsFolder] : [migrationsFolder];
  for (const folder of folders) await migrate(orm, { migrationsFolder: folder });
  const release = folders.reduce((count, folder) => count + readMigrationFiles({ migrationsFolder: folder }).length, 0);
  return wrapDatabase(orm, client, release);
}

/**
 * The database holds token hashes, the server's signing key and display-client credentials:
 * its folder is made 0700 and the file 0600 before SQLite opens it (SQLite gives its -wal and
 * -shm files the same mode). Files of an older install that this user owns are tightened.
 */
function makePrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const stat = existsSync(file) ? statSync(file) : null;
    if (stat && stat.uid === process.getuid?.() && (stat.mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}
