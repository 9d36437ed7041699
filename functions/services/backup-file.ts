import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { Database } from '../../db/database';
import { DomainError } from '../domain/errors';
import { recordAudit } from './audit';
import { BACKUP_ACTION, type DatabaseBackups } from './backup';

/** Backups of the database at `databaseUrl` (a `file:` URL), or null when it is a libSQL server. */
export function fileDatabaseBackups(db: Database, databaseUrl: string, serverId: string, now: () => Date): DatabaseBackups | null {
  if (!databaseUrl.startsWith('file:')) return null;
  const file = databaseUrl.slice('file:'.length).split('?')[0];
  if (!file || file === ':memory:') return null;
  return {
    async copy(actor) {
      const at = now();
      const takenAt = at.toISOString();
      await db.write((tx) => recordAudit(tx, serverId, at, { actor, action: BACKUP_ACTION, entity: 'server', entityId: serverId, after: { takenAt } }));
      const target = join(dirname(file), `.${serverId}-backup-${crypto.randomUUID()}.db`);
      try {
        await db.client.execute({ sql: 'VACUUM INTO ?', args: [target] });
        const size = statSync(target).size;
        const stream = createReadStream(target);
        const removeCopy = () => rmSync(target, { force: true });
        stream.once('close', removeCopy);
        return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, size, takenAt };
      } catch (err) {
        if (existsSync(target)) rmSync(target, { force: true });
        throw new DomainError(500, 'backup_failed', `The database could not be copied: ${String((err as Error)?.message ?? err)}`);
      }
    },
  };
}
