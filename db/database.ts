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
  /**
   * Calls `listener` after each committed write transaction that recorded a
   * configuration change (`noteConfigurationChange`); returns the unsubscribe.
   */
  onChangeCommitted(listener: () => void): () => void;
  close(): void;
}

const changedTransactions = new WeakSet<object>();

/** Marks a write transaction as one that changed configuration, for `onChangeCommitted`. */
export function noteConfigurationChange(tx: Tx): void {
  changedTransactions.add(tx);
}

export function wrapDatabase(orm: Orm, client: Client): Database {
  let queue: Promise<unknown> = Promise.resolve();
  const listeners = new Set<() => void>();
  return {
    orm,
    client,
    write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      let changed = false;
      const run = queue
        .then(() =>
          orm.transaction(async (tx) => {
            const result = await work(tx);
            changed = changedTransactions.has(tx);
            return result;
          }),
        )
        .then((result) => {
          // A listener's failure must not turn a committed write into an error.
          if (changed)
            for (const listener of listeners)
              try {
                listener();
              } catch {
                /* the listener reports its own failures */
              }
          return result;
        });
      queue = run.catch(() => undefined);
      return run;
    },
    onChangeCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => client.close(),
  };
}

/** The newest applied migration, as drizzle's migrator records it. */
export async function schemaVersion(client: Client): Promise<number> {
  const result = await client.execute('SELECT count(*) AS n FROM __drizzle_migrations');
  return Number(result.rows[0]?.n ?? 0);
}
