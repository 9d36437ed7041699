import type { Database } from '../../db/database';
import type { Role } from '../domain/roles';
import type { RedundancyMode } from '../domain/sync-direction';

export type Log = (entry: Record<string, unknown>) => void;

export interface AppDeps {
  db: Database;
  serverId: string;
  role: 'primary' | 'secondary';
  now: () => Date;
  log: Log;
  /** Mounts a reference route for `npm run bench:config`; off in production. */
  benchReference?: boolean;
  /** The other server of the pair (TANDEM_PEER_URL) and a peer token it accepts (TANDEM_PEER_TOKEN). */
  peer?: { url: string; token: string };
  /** TANDEM_SYNC_MODE: the redundancy mode to synchronise in, until the licence decides it. */
  syncModeOverride?: RedundancyMode;
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
