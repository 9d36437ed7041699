import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createClient } from '@libsql/client';
import { desc, eq } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrationsFolder, openDatabase } from '../../db/client';
import { auditEvents, dashboardSessions, licenses, serverIdentity, syncState, terminalLeases } from '../../db/schema';
import { DomainError } from '../domain/errors';
import { LICENSE_RECORD_ID } from '../domain/license';
import { recordAudit } from './audit';
import { BACKUP_ACTION } from './backup';
import { ServerIdentityStore } from './server-identity';

/**
 * Restores a backup (`tandem backup`) as the database of a server that is not running
 * (`tandem restore`). The restored server knows it is a restore:
 *
 * - **Synchronisation.** It takes a new log id, so the peer drops its cursor on this server and
 *   reads this server's log again from its start (what it has already is skipped by change id:
 *   nothing is applied twice, and the changes this server makes from now on, numbered after the
 *   backup's, are not skipped). Its own cursor on the peer is the backup's, so it pulls again
 *   what the peer made since. And it is marked restored: its first contact with the peer takes
 *   back the changes it made itself after the backup, which the peer holds (`sync/recover.ts`).
 * - **Sessions.** Dashboard sessions of the backup's time end: whoever was signed in signs in again.
 * - **Identity.** By default it is a new installation (a new installation id and shadow-signing
 *   key; the leases of the backed-up server dropped): a licence bound to the backed-up server does
 *   not follow a copy to a second machine, and the server says so (`license_wrong_installation`)
 *   until a licence for its new id is installed. `sameInstallation` keeps the identity, for a
 *   machine that replaces the backed-up one for good (that one must never run again).
 */
export interface RestoreOptions {
  backupFile: string;
  /** The server's DATABASE_URL: a `file:` URL (a libSQL server is restored with its own tools). */
  databaseUrl: string;
  serverId: string;
  sameInstallation: boolean;
  /** Move a database already at the target aside (`<file>.before-restore-<time>`) instead of refusing. */
  replaceExisting: boolean;
  now: Date;
  actor: string;
}

export interface RestoreReport {
  databaseFile: string;
  /** Where a database that was in the way went; null when there was none. */
  movedAside: string | null;
  backupTakenAt: string | null;
  installationId: string;
  previousInstallationId: string | null;
  sameInstallation: boolean;
  /** The licence the backup holds, and whether it binds this server's installation. */
  licence: { licenseId: string; bindsThisServer: boolean } | null;
  logId: string;
  previousLogId: string | null;
}

const SQLITE_HEADER = 'SQLite format 3\0';

const refuse = (code: string, detail: string) => new DomainError(400, code, detail);

export async function restoreBackup(options: RestoreOptions): Promise<RestoreReport> {
  const target = databaseFileOf(options.databaseUrl);
  checkHeader(options.backupFile);
  const stamp = options.now.toISOString().replace(/[:.]/g, '-');
  const existing = [target, `${target}-wal`, `${target}-shm`].filter(existsSync);
  if (existing.length && !options.replaceExisting)
    throw new DomainError(
      409,
      'database_exists',
      `${target} exists: restore into a fresh server. Stop its handler first; then move the database away, or restore with --force to keep it as ${basename(target)}.before-restore-${stamp}.`,
    );

  // Prepared beside the target and moved into place only once it is whole.
  const staging = join(dirname(target), `.${basename(target)}.restoring-${crypto.randomUUID()}`);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  copyFileSync(options.backupFile, staging);
  chmodSync(staging, 0o600);
  let report: Omit<RestoreReport, 'databaseFile' | 'movedAside'>;
  try {
    await checkBackup(staging, options.backupFile);
    report = await markRestored(staging, options);
  } catch (err) {
    for (const file of [staging, `${staging}-wal`, `${staging}-shm`]) rmSync(file, { force: true });
    throw err;
  }
  let movedAside: string | null = null;
  if (existing.length) {
    movedAside = `${target}.before-restore-${stamp}`;
    for (const file of existing) renameSync(file, file.replace(target, movedAside));
  }
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(staging + suffix)) renameSync(staging + suffix, target + suffix);
  return { databaseFile: target, movedAside, ...report };
}

function databaseFileOf(url: string): string {
  if (!url.startsWith('file:'))
    throw refuse(
      'restore_unavailable',
      `DATABASE_URL ${url.replace(/\/\/[^@/]*@/, '//')} is a libSQL server: restore it with the server's own tools (Turso: point-in-time restore, or a new database from a dump; sqld: its data directory).`,
    );
  const file = url.slice('file:'.length).split('?')[0];
  if (!file || file === ':memory:') throw refuse('restore_unavailable', 'DATABASE_URL names no database file.');
  return file;
}

/** A SQLite file, by its first bytes. */
function checkHeader(file: string): void {
  if (!existsSync(file)) throw refuse('backup_not_found', `${file} does not exist.`);
  const header = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_HEADER) throw refuse('not_a_backup', `${file} is not a database file (a backup made by \`tandem backup\`).`);
}

/** A Tandem database this release can read (checked on the staging copy of `file`): whole, made by this release or an older one. */
async function checkBackup(copy: string, file: string): Promise<void> {
  const client = createClient({ url: `file:${copy}` });
  try {
    const integrity = await client.execute('PRAGMA integrity_check');
    if (String(integrity.rows[0]?.[0]) !== 'ok') throw refuse('backup_damaged', `${file} is damaged: ${String(integrity.rows[0]?.[0])}.`);
    const tables = new Set((await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((r) => String(r[0])));
    for (const table of ['__drizzle_migrations', 'server_identity', 'change_log', 'terminals'])
      if (!tables.has(table)) throw refuse('not_a_backup', `${file} is a database, but not a Tandem server's (it has no ${table} table).`);
    const newest = Number((await client.execute('SELECT max(created_at) FROM __drizzle_migrations')).rows[0]?.[0] ?? 0);
    const known = Math.max(0, ...readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis));
    if (newest > known) throw refuse('backup_too_new', `${file} was made by a newer release of Tandem (its schema is newer than this one's): restore it with that release.`);
  } finally {
    client.close();
  }
}

/** Brings the copy's schema up to date and writes what a restore changes, in one transaction. */
async function markRestored(file: string, options: RestoreOptions): Promise<Omit<RestoreReport, 'databaseFile' | 'movedAside'>> {
  const db = await openDatabase(`file:${file}`);
  try {
    const { now } = options;
    const taken = await db.orm.select({ at: auditEvents.at }).from(auditEvents).where(eq(auditEvents.action, BACKUP_ACTION)).orderBy(desc(auditEvents.id)).limit(1).get();
    const previous = await db.orm.select().from(serverIdentity).get();
    const state = await db.orm.select().from(syncState).where(eq(syncState.id, 1)).get();
    const logId = crypto.randomUUID();
    await db.write(async (tx) => {
      const restore = { logId, restoredAt: now.toISOString(), recoveredAt: null, recoveryLogId: null, recoveryCursor: 0 };
      await tx.insert(syncState).values({ id: 1, ...restore }).onConflictDoUpdate({ target: syncState.id, set: restore });
      // Whoever was signed in to the dashboard when the backup was taken signs in again.
      await tx.delete(dashboardSessions);
      if (!options.sameInstallation) {
        await tx.delete(serverIdentity);
        // The leases were the backed-up installation's, counted against its licence.
        await tx.delete(terminalLeases);
      }
    });
    // A new installation's identity is made now, so that its id can be given to the vendor at once.
    const identity = await new ServerIdentityStore(db, () => now).get();
    const licence = await db.orm.select().from(licenses).where(eq(licenses.id, LICENSE_RECORD_ID)).get();
    const bindsThisServer = licence ? bindsInstallation(licence.file, identity.installationId) : false;
    await db.write((tx) =>
      recordAudit(tx, options.serverId, now, {
        actor: options.actor,
        action: 'server.restore',
        entity: 'server',
        entityId: options.serverId,
        before: { installationId: previous?.installationId ?? null, logId: state?.logId ?? null },
        after: { installationId: identity.installationId, logId, backupTakenAt: taken?.at ?? null, sameInstallation: options.sameInstallation },
      }),
    );
    await db.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    return {
      backupTakenAt: taken?.at ?? null,
      installationId: identity.installationId,
      previousInstallationId: previous?.installationId ?? null,
      sameInstallation: options.sameInstallation,
      licence: licence ? { licenseId: licence.licenseId, bindsThisServer } : null,
      logId,
      previousLogId: state?.logId ?? null,
    };
  } finally {
    db.close();
  }
}

/** Whether a stored licence file names this installation (its signature is the handler's to judge). */
function bindsInstallation(file: string, installationId: string): boolean {
  try {
    const installations = (JSON.parse(file) as { payload?: { installations?: { id?: string }[] } }).payload?.installations ?? [];
    return installations.some((i) => i.id === installationId);
  } catch {
    return false;
  }
}
