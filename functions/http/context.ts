import type { AppDeps } from '../deps';
import type { Principal } from '../services/token-auth';
import type { Services } from '../services/services';

export type AppEnv = {
  Variables: {
    deps: AppDeps;
    services: Services;
    principal: Principal | null;
  };
};

/** How an audit event names who acted. */
export const actorOf = (p: Principal | null) => (p ? `${p.role}:${p.name}` : 'anonymous');
