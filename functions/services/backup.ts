import { DomainError } from '../domain/errors';

/**
 * An online, consistent copy of a Node handler's database file (`GET /api/v1/backup`, `tandem
 * backup`): SQLite's `VACUUM INTO` reads one snapshot of the database while writes go on (WAL)
 * and writes it, compacted, to a new file beside the database (0600: it holds token hashes, the
 * shadow-signing key and display-client credentials), which is streamed out and deleted.
 * The copy's newest `server.backup` audit event is the backup's own: when and by whom.
 *
 * A libSQL server (`libsql://`, `https://`: Turso, sqld) is copied with its own tools instead.
 */
export interface DatabaseBackups {
  /** Writes the backup's audit event, copies the database, and answers the copy as a stream (deleted once read). */
  copy(actor: string): Promise<DatabaseCopy>;
}

export interface DatabaseCopy {
  body: ReadableStream<Uint8Array>;
  size: number;
  takenAt: string;
}

export const BACKUP_ACTION = 'server.backup';

/** Why there is no backup route's copy here: the operator's way for a libSQL server. */
export const backupUnavailable = () =>
  new DomainError(
    409,
    'backup_unavailable',
    "This handler's database is a libSQL server (DATABASE_URL libsql:// or https://), not a file this handler can copy: back it up with the server's own tools (Turso: point-in-time restore or `turso db shell <db> .dump`; sqld: a copy of its data directory, or `sqlite3 <file> \".backup …\"` on the sqld host).",
  );
