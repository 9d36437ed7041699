/**
 * `tandem backup <file>`: the handler's online copy of its database, saved for this user only.
 * `tandem restore <file>`: offline, with the handler stopped and its environment (DATABASE_URL or
 * TANDEM_DATA_DIR, TANDEM_SERVER_ID): the backup becomes that server's database, marked restored
 * (functions/services/backup-restore.ts says what that changes).
 */
import { chmodSync, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { DomainError } from '../../functions/domain/errors';
import { restoreBackup } from '../../functions/services/backup-restore';
import { handlerSettings } from '../../functions/settings';
import { fail, request } from './connection';
import { bytes } from './output';

export async function backupCommand(args: string[]): Promise<void> {
  const [file] = args;
  if (!file || args.length !== 1) fail('backup <file>');
  const started = performance.now();
  const res = await request('GET', '/api/v1/backup');
  const partial = `${file}.partial`;
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(partial, { mode: 0o600 }));
  } catch (err) {
    rmSync(partial, { force: true });
    fail(`the backup broke off: ${(err as Error).message}`);
  }
  const size = statSync(partial).size;
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared !== size) {
    rmSync(partial, { force: true });
    fail(`the backup broke off after ${size} of ${declared} bytes`);
  }
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  const seconds = (performance.now() - started) / 1000;
  console.log(`backed up to ${file}: ${bytes(size)} in ${seconds.toFixed(2)} s, taken at ${res.headers.get('x-tandem-backup-taken-at')} (mode 0600: it holds the server's secrets)`);
}

export async function restoreCommand(args: string[]): Promise<void> {
  let file: string;
  let sameInstallation: boolean;
  let force: boolean;
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'same-installation': { type: 'boolean', default: false }, force: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new Error('name one backup file');
    [file] = positionals;
    sameInstallation = values['same-installation']!;
    force = values.force!;
  } catch (err) {
    fail(`${(err as Error).message}\nusage: restore <file> [--same-installation] [--force]`);
  }
  try {
    const settings = handlerSettings(process.env);
    const report = await restoreBackup({
      backupFile: file,
      databaseUrl: settings.databaseUrl,
      serverId: settings.serverId,
      sameInstallation,
      replaceExisting: force,
      now: new Date(),
      actor: `cli:${process.env.USER ?? 'operator'}`,
    });
    console.log(`restored ${file} (taken at ${report.backupTakenAt ?? 'an unknown time'}) as ${report.databaseFile}`);
    if (report.movedAside) console.log(`the database that was there is kept as ${report.movedAside}`);
    console.log(`synchronisation: new log id ${report.logId}; on start the server takes back from its peer the changes it made after the backup, and the peer reads its log again`);
    if (report.sameInstallation) console.log(`installation ${report.installationId} kept: the backed-up machine must never run again`);
    else {
      console.log(`new installation id ${report.installationId} (the backup's was ${report.previousInstallationId ?? 'none'}); the backed-up server's leases were dropped`);
      if (report.licence && !report.licence.bindsThisServer)
        console.log(
          `licence ${report.licence.licenseId} binds the backed-up installation, not this one: this server refuses terminals (license_wrong_installation) until a licence for ${report.installationId} is installed. If this machine replaces the backed-up one for good, restore with --same-installation instead.`,
        );
    }
  } catch (err) {
    fail(err instanceof DomainError ? `${err.code}: ${err.detail}` : String((err as Error).message ?? err));
  }
}
