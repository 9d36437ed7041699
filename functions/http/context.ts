import type { Database } from '../../db/database';
import type { Role } from '../domain/roles';

export type Log = (entry: Record<string, unknown>) => void;

export interface AppDeps {
  db: Database;
  serverId: string;
  role: 'primary' | 'secondary';
  now: () => Date;
  log: Log;
  /** Mounts a reference route for `npm run bench:config`; off in production. */
  benchReference?: boolean;
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
