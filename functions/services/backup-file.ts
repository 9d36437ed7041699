import { createReadStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Database } from '../../db/database';
import { DomainError } from '../domain/errors';
import { recordAudit } from './audit';
import { BACKUP_ACTION, type DatabaseBackups } from './backup';

/**
 * Backups of the database at `databaseUrl` (a `file:` URL), or null when it is a libSQL server.
 * The copy is made on a connection of its own in a worker thread: the libSQL binding blocks the
 * thread it runs on, and the handler's thread keeps serving boots meanwhile.
 */
export function fileDatabaseBackups(db: Database, databaseUrl: string, serverId: string, now: () => Date): DatabaseBackups | null {
  if (!databaseUrl.startsWith('file:')) return null;
  const file = databaseUrl.slice('file:'.length).split('?')[0];
  if (!file || file === ':memory:') return null;
  const prefix = `.${serverId}-backup-`;
  // Copies left by a handler that stopped while one was being read hold secrets: none outlives a start.
  if (existsSync(dirname(file)))
    for (const name of readdirSync(dirname(file))) if (name.startsWith(prefix) && name.endsWith('.db')) rmSync(join(dirname(file), name), { force: true });
  return {
    async copy(actor) {
      const at = now();
      const takenAt = at.toISOString();
      await db.write((tx) => recordAudit(tx, serverId, at, { actor, action: BACKUP_ACTION, entity: 'server', entityId: serverId, after: { takenAt } }));
      const target = join(dirname(file), `${prefix}${crypto.randomUUID()}.db`);
      try {
        await vacuumInto(file, target).catch(async (err) => {
          if (!(err instanceof WorkerUnavailable)) throw err;
          rmSync(target, { force: true });
          await db.client.execute({ sql: 'VACUUM INTO ?', args: [target] });
        });
        const size = statSync(target).size;
        const stream = createReadStream(target);
        stream.once('close', () => rmSync(target, { force: true }));
        return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, size, takenAt };
      } catch (err) {
        if (existsSync(target)) rmSync(target, { force: true });
        throw new DomainError(500, 'backup_failed', `The database ${basename(file)} could not be copied: ${String((err as Error)?.message ?? err)}`);
      }
    },
  };
}

class WorkerUnavailable extends Error {}

/** SQLite's VACUUM INTO on a connection opened in a worker thread: one snapshot, written to `target`. */
function vacuumInto(file: string, target: string): Promise<void> {
  let client: string;
  try {
    client = createRequire(import.meta.url).resolve('@libsql/client');
  } catch (err) {
    return Promise.reject(new WorkerUnavailable(String(err)));
  }
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createClient } = require(workerData.client);
    const db = createClient({ url: 'file:' + workerData.file });
    db.execute({ sql: 'VACUUM INTO ?', args: [workerData.target] }).then(
      () => { db.close(); parentPort.postMessage(null); },
      (err) => { db.close(); parentPort.postMessage(String((err && err.message) || err)); },
    );`;
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(code, { eval: true, workerData: { client, file, target } });
    } catch (err) {
      return reject(new WorkerUnavailable(String(err)));
    }
    worker.once('message', (error: string | null) => (error === null ? resolve() : reject(new Error(error))));
    worker.once('error', (err) => reject(new WorkerUnavailable(String(err))));
    worker.once('exit', (code) => reject(new Error(`the copying thread ended (code ${code}) before it said it was done`)));
  });
}
