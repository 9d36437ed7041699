import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { openDatabase } from '../db/client';
import { createApp } from './app';
import { appDepsFrom } from './deps';
import { jsonLogger } from './log';
import { fetchTrusting, httpsServing } from './node-transport';
import { quietSdkNodeWarning } from './domain/object-store';
import { fileDatabaseBackups } from './services/backup-file';
import { s3FirmwareStore } from './services/firmware-upload-s3';
import { bootstrapAdminToken, bootstrapPeerToken } from './services/tokens';
import { handlerSettings } from './settings';

/** The handler on Node: database, bootstrap token, HTTP server, graceful shutdown. */
async function main(): Promise<void> {
  // What this process writes (the database and its journals, the token file) is for it alone.
  process.umask(0o077);
  const settings = handlerSettings(process.env);
  const log = jsonLogger({ component: 'handler', serverId: settings.serverId });
  const nodeNote = quietSdkNodeWarning(process.env, process.version);
  if (nodeNote) log({ level: 'warn', msg: nodeNote });
  const db = await openDatabase(settings.databaseUrl, settings.databaseAuthToken, settings.extraMigrationsDir);

  const created = await bootstrapAdminToken(db, settings.serverId, new Date(), settings.adminToken);
  if (created && !settings.adminToken) {
    // Only its hash is kept in the database; the token goes to a file only this user reads, not
    // to the log, which log collectors copy and keep.
    mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
    const file = join(settings.dataDir, `${settings.serverId}-admin-token`);
    writeFileSync(file, created + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    log({ msg: 'created the bootstrap admin token and saved it in a file only this user may read (mode 0600); only its hash is in the database', file });
  }

  if (settings.peerToken) await bootstrapPeerToken(db, settings.serverId, new Date(), settings.peerToken);

  const deps = {
    ...appDepsFrom(settings, db, log),
    peerFetch: fetchTrusting(settings.caFile),
    firmwareUploads: { store: s3FirmwareStore(settings.objectStore), maxBytes: settings.firmwareMaxBytes },
    databaseBackups: fileDatabaseBackups(db, settings.databaseUrl, settings.serverId, () => new Date()) ?? undefined,
  };
  for (const warning of settings.warnings) log({ level: 'warn', msg: warning });
  const app = createApp(deps);
  const { identity, licensing, sync } = app.services;
  // Made once at first start, then read: what a licence binds this server to.
  const { installationId } = await identity.get();
  // This process is the only writer of its database, so it keeps the lease view in memory, rebuilt here.
  await licensing.leases.ready();
  const license = await licensing.health();
  log({ msg: 'licensing', installationId, mode: license.mode, license: license.state, licenseId: license.licenseId, warnings: license.warnings });
  // Catch up with the peer at once, then on every tick; pokes carry writes in between.
  const stopSyncTimer = sync.startTimer(settings.syncIntervalMs);
  void sync.requestPull();
  const scheme = settings.tls ? 'https' : 'http';
  const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port, ...httpsServing(settings.tls) }, (info) => {
    log({ msg: 'listening', url: `${scheme}://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`, role: settings.role });
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ msg: 'stopping', signal });
    stopSyncTimer();
    server.close(() => {
      db.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: 'fatal', component: 'handler', msg: String(err?.message ?? err) }));
  process.exit(1);
});
