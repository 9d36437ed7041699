import type { Client } from '@libsql/client';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import * as schema from './schema';

export type Orm = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0];

/**
 * One database of one server, whatever the runtime. Reads go straight to the
 * ORM; writes go through `write`, which serialises write transactions in this
 * process: concurrent interactive write transactions on one libSQL file fail with
 * SQLITE_BUSY (docs/architecture.md, "Stack facts"), while a queue lets every one of them through.
 */
export interface Database {
  orm: Orm;
  client: Client;
  /**
   * The schema this process's code is built for: the migrations it applies when it opens the
   * database (its release's, and TANDEM_EXTRA_MIGRATIONS_DIR's). The database may hold more, when
   * a newer release migrated it (CI migrates before it deploys): this code does not know their
   * columns, so the pair compares this number, not the database's, before it exchanges changes.
   */
  schemaVersion: number;
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` after each committed write transaction that noted `topic`
   * (`noteForCommit`); returns the unsubscribe.
   */
  onCommitted(topic: CommitTopic, listener: () => void): () => void;
  close(): void;
}

/**
 * What a committed write may have changed, for those who act on it afterwards:
 * `configuration` — a local configuration change (the peer is poked);
 * `boot-documents` — stored boot documents (in-memory copies are dropped);
 * `license` — the installed licence (the cached licence state is dropped);
 * `tokens` — API tokens (cached token lookups are dropped).
 */
export type CommitTopic = 'configuration' | 'boot-documents' | 'license' | 'tokens';

const notedTopics = new WeakMap<object, Set<CommitTopic>>();

/** Marks a write transaction as one that changed `topic`, for `onCommitted` listeners once it commits. */
export function noteForCommit(tx: Tx, topic: CommitTopic): void {
  const topics = notedTopics.get(tx);
  if (topics) topics.add(topic);
  else notedTopics.set(tx, new Set([topic]));
}

export function wrapDatabase(orm: Orm, client: Client, schemaVersion: number): Database {
  let queue: Promise<unknown> = Promise.resolve();
  const listeners = new Map<CommitTopic, Set<() => void>>();
  return {
    orm,
    client,
    schemaVersion,
    write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      let noted: Set<CommitTopic> | undefined;
      const run = queue
        .then(() =>
          orm.transaction(async (tx) => {
            const result = await work(tx);
            noted = notedTopics.get(tx);
            return result;
          }),
        )
        .then((result) => {
          for (const topic of noted ?? [])
            for (const listener of listeners.get(topic) ?? [])
              try {
                listener();
              } catch {
                // A listener's failure must not turn a committed write into an error; it reports its own.
              }
          return result;
        });
      queue = run.catch(() => undefined);
      return run;
    },
    onCommitted(topic, listener) {
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set.add(listener));
      return () => set.delete(listener);
    },
    close: () => client.close(),
  };
}

/** The migrations the database holds (drizzle's migrator records one row each), a newer release's included. */
export async function databaseSchemaVersion(client: Client): Promise<number> {
  const result = await client.execute('SELECT count(*) AS n FROM __drizzle_migrations');
  return Number(result.rows[0]?.n ?? 0);
}
