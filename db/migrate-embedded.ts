import type { Client } from '@libsql/client';
import type { MigrationMeta } from 'drizzle-orm/migrator';

const migrationsTable = '__drizzle_migrations';

/**
 * Applies migrations that were read at build time (db/embedded-migrations.ts), for runtimes with
 * no filesystem. It does what drizzle-orm/libsql/migrator does, in the same bookkeeping table
 * with the same rows, so a database migrated by a Node handler and one migrated by a Worker agree:
 * every migration newer than the last recorded one runs, with its record, in one batch.
 */
export async function migrateEmbedded(client: Client, migrations: MigrationMeta[]): Promise<void> {
  await client.execute(
    `CREATE TABLE IF NOT EXISTS "${migrationsTable}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
  );
  const last = await client.execute(`SELECT id, hash, created_at FROM "${migrationsTable}" ORDER BY created_at DESC LIMIT 1`);
  const lastMillis = last.rows[0] === undefined ? undefined : Number(last.rows[0][2]);
  const statements: { sql: string; args: (string | number)[] }[] = [];
  for (const migration of migrations) {
    if (lastMillis !== undefined && lastMillis >= migration.folderMillis) continue;
    for (const sql of migration.sql) statements.push({ sql, args: [] });
    statements.push({
      sql: `INSERT INTO "${migrationsTable}" ("hash", "created_at") VALUES(?, ?)`,
      args: [migration.hash, migration.folderMillis],
    });
  }
  if (statements.length > 0) await client.migrate(statements);
}
