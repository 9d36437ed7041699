import type { Database } from '../../db/database';
import type { Role } from '../domain/roles';
import type { LicensingSettings } from '../services/license';

export type Log = (entry: Record<string, unknown>) => void;

export interface AppDeps {
  db: Database;
  serverId: string;
  role: 'primary' | 'secondary';
  now: () => Date;
  log: Log;
  /** The other server of the pair (TANDEM_PEER_URL) and a `peer` token it accepts (TANDEM_PEER_TOKEN). */
  peerUrl?: string;
  peerToken?: string;
  /** Licence key, lease lifetime, grace period, lease view; defaults in licensingSettings. */
  licensing?: Partial<LicensingSettings>;
  /** Mounts a reference route for `npm run bench:config`; off in production. */
  benchReference?: boolean;
  /** Changes per pulled batch (TANDEM_SYNC_BATCH). */
  syncBatchSize?: number;
}

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export type AppEnv = {
  Variables: {
    deps: AppDeps;
    principal: Principal | null;
  };
};

/** How an audit event names who acted. */
export const actorOf = (p: Principal | null) => (p ? `${p.role}:${p.name}` : 'anonymous');
