import type { Client } from '@libsql/client';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import * as schema from './schema';

export type Orm = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0];

/**
 * One database of one server, whatever the runtime. Reads go straight to the
 * ORM; writes go through `write`, which serialises write transactions in this
 * process: concurrent interactive write transactions on one libSQL file fail with
 * SQLITE_BUSY (STACK.md), while a queue lets every one of them through.
 */
export interface Database {
  orm: Orm;
  client: Client;
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): void;
}

export function wrapDatabase(orm: Orm, client: Client): Database {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    orm,
    client,
    write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      const run = queue.then(() => orm.transaction(work));
      queue = run.catch(() => undefined);
      return run;
    },
    close: () => client.close(),
  };
}

/** The newest applied migration, as drizzle's migrator records it. */
export async function schemaVersion(client: Client): Promise<number> {
  const result = await client.execute('SELECT count(*) AS n FROM __drizzle_migrations');
  return Number(result.rows[0]?.n ?? 0);
}
