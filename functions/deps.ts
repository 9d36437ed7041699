import type { Database } from '../db/database';
import type { AppDeps, Log } from './http/context';
import type { HandlerSettings } from './settings';

/** What createApp needs, from the settings both runtimes read; the same on Node and on Workers. */
export function appDepsFrom(settings: HandlerSettings, db: Database, log: Log): AppDeps {
  return {
    db,
    serverId: settings.serverId,
    role: settings.role,
    now: () => new Date(),
    log,
    peerUrl: settings.peerUrl,
    peerToken: settings.peerToken,
    licensing: {
      publicKey: settings.licensePublicKey,
      leaseTtlSeconds: settings.leaseTtlSeconds,
      graceDays: settings.licenseGraceDays,
      // A database file is its handler's alone (Node), so leases and boot documents are kept in
      // memory. A libSQL server (sqld, Turso; always so on Workers, whose isolates are stateless)
      // may have other writers, so every boot reads it.
      leaseView: settings.databaseUrl.startsWith('file:') ? 'process' : 'database',
    },
    benchReference: settings.benchReference,
    syncBatchSize: settings.syncBatchSize,
  };
}
