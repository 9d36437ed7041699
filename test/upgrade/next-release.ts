import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrationsFolder, openDatabase } from '../../db/client';
import { tempDir } from '../relay/support/files';

/** The schema version of this release: drizzle's migrator records one row per migration. */
export const releaseSchemaVersion = () => readMigrationFiles({ migrationsFolder }).length;

/**
 * The drill's next release, as far as the database sees it: one migration beyond this
 * release's (next-release.sql), laid out as drizzle-kit writes one (the SQL file and the
 * journal naming it) in a folder of its own, which a handler applies at start after the
 * release's own (TANDEM_EXTRA_MIGRATIONS_DIR). Dated after this release's newest migration, as
 * a new migration is, so drizzle's migrator runs it. Returns the folder.
 */
export function nextReleaseMigrations(): string {
  const newest = Math.max(...readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis));
  const folder = tempDir('tandem-next-release');
  const tag = '0100_rolling_upgrade_drill';
  mkdirSync(join(folder, 'meta'));
  copyFileSync(fileURLToPath(new URL('./next-release.sql', import.meta.url)), join(folder, `${tag}.sql`));
  const journal = { version: '7', dialect: 'sqlite', entries: [{ idx: 0, version: '6', when: newest + 1, tag, breakpoints: true }] };
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal, null, 2));
  return folder;
}

/** Opens a database as the next release's handler does: this release's migrations, then the next one's. */
export const openAsNextRelease = (folder: string) => (url: string) => openDatabase(url, undefined, folder);

/**
 * Opens, with this release's code, a database the next release migrated: CI migrates every
 * server's database before it deploys the handlers one at a time.
 */
export const openMigratedByNextRelease = (folder: string) => async (url: string) => {
  (await openAsNextRelease(folder)(url)).close();
  return openDatabase(url);
};

/** Whether a handler's database (its file, read beside the running handler) has the next release's column and table. */
export async function hasNextReleaseSchema(databaseFile: string): Promise<boolean> {
  const client = createClient({ url: `file:${databaseFile}` });
  try {
    const columns = await client.execute('SELECT name FROM pragma_table_info(?)', ['terminals']);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'upgrade_drill_notes'");
    return columns.rows.some((row) => row.name === 'asset_tag') && tables.rows.length === 1;
  } finally {
    client.close();
  }
}
