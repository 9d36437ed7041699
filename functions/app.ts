import { OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from './domain/errors';
import { roles } from './domain/roles';
import type { AppDeps, AppEnv } from './http/context';
import { RequestMetrics } from './http/metrics';
import { onError, problemResponse } from './http/problem';
import { requestBodyRules } from './http/request-body';
import { validationHook, type RouteTable } from './http/route';
import { mountAudit } from './routes/audit';
import { mountBoot } from './routes/boot';
import { mountChanges } from './routes/changes';
import { mountConfiguration } from './routes/configuration';
import { mountBenchReference, mountHealth } from './routes/health';
import { mountLicense } from './routes/license';
import { mountPending } from './routes/pending';
import { mountSync } from './routes/sync';
import { mountTokens } from './routes/tokens';
import { syncEngineFor } from './sync/engine';
import { licensingOf } from './services/license';

export type { AppDeps } from './http/context';

export const MAX_BODY_BYTES = 1024 * 1024;

export type TandemApp = OpenAPIHono<AppEnv> & { routeTable: RouteTable; metrics: RequestMetrics };

/** The handler: the same app on Node and on Workers; everything it touches comes in `deps`. */
export function createApp(deps: AppDeps): TandemApp {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
  const routeTable: RouteTable = [];
  const metrics = new RequestMetrics();

  app.use('*', metrics.middleware());
  const licensing = licensingOf(deps);
  metrics.gauge('tandem_license_leases_in_use', 'Terminal-connection leases held on this server (process lease view only).', () => licensing.leases.inUse(deps.now().getTime()) ?? NaN);
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  app.use('/api/*', requestBodyRules(MAX_BODY_BYTES));
  // Pokes the peer after each committed change; on Workers the poke outlives the response through waitUntil.
  const sync = syncEngineFor(deps);
  metrics.gauge('tandem_sync_last_success_seconds', 'Unix time of the last successful pull from the peer (0: none since start).', () => sync.counters.lastSuccessSeconds);
  metrics.gauge('tandem_sync_changes_applied', "Peer changes applied since start.", () => sync.counters.changesApplied);
  metrics.gauge('tandem_sync_conflicts', 'Conflicts met while applying peer changes since start.', () => sync.counters.conflicts);
  metrics.gauge('tandem_sync_failed_changes', 'Peer changes that could not be applied since start.', () => sync.counters.failedChanges);
  metrics.gauge('tandem_sync_pull_failures', 'Pulls from the peer that failed since start.', () => sync.counters.pullFailures);
  metrics.gauge('tandem_sync_peer_clock_skew_seconds', "The peer's clock minus this server's, as last measured by a pull (NaN: not yet).", () => sync.counters.peerClockSkewSeconds);
  app.use('/api/*', async (c, next) => {
    await next();
    const work = sync.pendingWork();
    if (work)
      try {
        c.executionCtx.waitUntil(work);
      } catch {
        /* Node: no execution context, the work runs on */
      }
  });

  mountHealth(app, routeTable, metrics);
  mountConfiguration(app, routeTable);
  mountBoot(app, routeTable);
  mountPending(app, routeTable);
  mountTokens(app, routeTable);
  mountAudit(app, routeTable);
  mountSync(app, routeTable);
  mountChanges(app, routeTable);
  mountLicense(app, routeTable);
  if (deps.benchReference) mountBenchReference(app, routeTable);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc('/api/v1/openapi.json', {
    openapi: '3.0.3',
    info: {
      title: 'Tandem handler API',
      version: '1',
      description: `Bearer tokens with roles ${roles.join(', ')}; each operation lists the roles it accepts in x-roles.`,
    },
  });
  routeTable.push({ method: 'get', path: '/api/v1/openapi.json', access: 'public', writes: false });

  app.notFound((c) => problemResponse(new DomainError(404, 'route_not_found', `There is no route ${c.req.method} ${c.req.path}.`), c.req.path));
  app.onError(onError(deps.log));
  return Object.assign(app, { routeTable, metrics });
}
