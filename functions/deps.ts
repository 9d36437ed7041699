import type { Database } from '../db/database';
import type { DatabaseBackups } from './services/backup';
import type { FirmwareUploads } from './services/firmware-upload';
import type { HandlerSettings } from './settings';
import type { PeerFetch } from './sync/peer-client';

/** Structured log: one JSON object a line. */
export type Log = (entry: Record<string, unknown>) => void;

/**
 * Where a server keeps its view of which terminals hold a valid lease:
 * `process` in memory (a Node handler, its database's only writer), `database`
 * read on every check (Workers, or a libSQL server other processes may write).
 */
export type LeaseView = 'process' | 'database';

export interface LicensingSettings {
  /** TANDEM_LICENSE_PUBLIC_KEY: the vendor key licences are signed with; the demo key on a demo system (TANDEM_DEMO=1); null: none, demo mode only. */
  publicKey: string | null;
  /** TANDEM_LEASE_TTL_SECONDS: a lease not renewed by a check-in expires after this long. */
  leaseTtlSeconds: number;
  /** TANDEM_LICENSE_GRACE_DAYS: how long an expired licence keeps serving. */
  graceDays: number;
  /** `process` on Node (one writer per database), `database` on Workers. */
  leaseView: LeaseView;
}

/** What createApp is handed: everything the handler touches outside itself. */
export interface AppDeps {
  db: Database;
  serverId: string;
  role: 'primary' | 'secondary';
  now: () => Date;
  log: Log;
  /** The other server of the pair (TANDEM_PEER_URL) and a `peer` token it accepts (TANDEM_PEER_TOKEN). */
  peerUrl?: string;
  peerToken?: string;
  /** How this server calls its peer: on Node trusting TANDEM_CA_FILE when set; the global fetch by default. */
  peerFetch?: PeerFetch;
  /** What a person should fix in the settings (a peer over plain http); /healthz shows it. */
  warnings?: string[];
  /** Licence key, lease lifetime, grace period, lease view; defaults in licensingSettings. */
  licensing?: Partial<LicensingSettings>;
  /** Mounts a reference route for `npm run bench:config`; off in production. */
  benchReference?: boolean;
  /** Changes per pulled batch (TANDEM_SYNC_BATCH). */
  syncBatchSize?: number;
  /** Where uploaded firmware is streamed (the relays' object store), on Node; absent on Workers, which refuse uploads. */
  firmwareUploads?: FirmwareUploads;
  /** Online copies of the database file (GET /api/v1/backup), on Node with a `file:` database; absent for a libSQL server. */
  databaseBackups?: DatabaseBackups;
}

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
    warnings: settings.warnings,
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
