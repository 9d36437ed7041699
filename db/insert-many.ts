import { getTableColumns, getTableName, is, SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Tx } from './database';

interface InsertManyOptions {
  /** Columns of the conflict target: `INSERT … ON CONFLICT (target) DO UPDATE SET` every other written column to the new value. */
  upsertOn?: SQLiteColumn[];
}

const ROWS_PER_STATEMENT = 100;

/**
 * Multi-row INSERT (or upsert) of rows, in the caller's transaction (a key a
 * row lacks takes the column's default). Synchronisation writes thousands of rows
 * per batch; drizzle's query builder costs about as much CPU per row as SQLite
 * itself, so the statement is built here once per shape and the values are
 * encoded with the columns' own driver mappings. Falls back to the builder if the
 * transaction does not expose its libSQL transaction (another driver).
 */
export async function insertMany(tx: Tx, table: SQLiteTable, rows: Record<string, unknown>[], options: InsertManyOptions = {}): Promise<void> {
  if (!rows.length) return;
  // drizzle keeps the libSQL transaction on its session, with no public type for it.
  const libsql = (tx as unknown as { session?: { tx?: { execute?(stmt: { sql: string; args: unknown[] }): Promise<unknown> } } }).session?.tx;
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((k) => columns[k]);
  if (!libsql?.execute) {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const insert = tx.insert(table).values(rows.slice(i, i + ROWS_PER_STATEMENT));
      if (!options.upsertOn) await insert;
      else {
        const target = new Set(options.upsertOn.map((c) => c.name));
        const set = Object.fromEntries(keys.filter((k) => !target.has(columns[k].name)).map((k) => [k, sql.raw(`excluded."${columns[k].name}"`)]));
        await insert.onConflictDoUpdate({ target: options.upsertOn, set });
      }
    }
    return;
  }
  const head = `INSERT INTO "${getTableName(table)}" (${keys.map((k) => `"${columns[k].name}"`).join(', ')}) VALUES `;
  const tuple = `(${keys.map(() => '?').join(', ')})`;
  let tail = '';
  if (options.upsertOn) {
    const target = new Set(options.upsertOn.map((c) => c.name));
    const updates = keys.filter((k) => !target.has(columns[k].name)).map((k) => `"${columns[k].name}" = excluded."${columns[k].name}"`);
    tail = ` ON CONFLICT (${options.upsertOn.map((c) => `"${c.name}"`).join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
  }
  const encode = (key: string, value: unknown) => {
    const column = columns[key];
    if (value === undefined) value = column.default !== undefined && !is(column.default, SQL) ? column.default : null;
    return value === null ? null : column.mapToDriverValue(value);
  };
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const args: unknown[] = [];
    for (const row of chunk) for (const key of keys) args.push(encode(key, row[key]));
    await libsql.execute({ sql: head + chunk.map(() => tuple).join(', ') + tail, args });
  }
}
