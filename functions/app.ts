import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from './deps';
import { mountDashboard } from './dashboard/mount';
import { DomainError } from './domain/errors';
import { roles } from './domain/roles';
import { keepRunning } from './http/background';
import type { AppEnv } from './http/context';
import { RequestMetrics } from './http/metrics';
import { onError, problemResponse } from './http/problem';
import { requestBodyRules } from './http/request-body';
import { validationHook, type RouteTable } from './http/route';
import { mountAudit } from './routes/audit';
import { mountBackup } from './routes/backup';
import { mountBenchReference } from './routes/bench-reference';
import { mountBoot } from './routes/boot';
import { mountChanges } from './routes/changes';
import { mountConfiguration } from './routes/configuration';
import { CONFIGURATION_IMPORT_PATH, mountConfigurationTransfer } from './routes/configuration-transfer';
import { FIRMWARE_UPLOAD_PATH, mountFirmwareUpload } from './routes/firmware-upload';
import { mountHealth } from './routes/health';
import { mountLicense } from './routes/license';
import { mountPending } from './routes/pending';
import { mountSync } from './routes/sync';
import { mountTokens } from './routes/tokens';
import { createServices, type Services } from './services/services';

export type { AppDeps } from './deps';

export const MAX_BODY_BYTES = 1024 * 1024;

export type TandemApp = OpenAPIHono<AppEnv> & { routeTable: RouteTable; metrics: RequestMetrics; services: Services };

/** The handler: the same app on Node and on Workers; everything it touches comes in `deps`, its services are built here once. */
export function createApp(deps: AppDeps): TandemApp {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
  const routeTable: RouteTable = [];
  const metrics = new RequestMetrics();
  const services = createServices(deps);
  const { licensing, sync } = services;

  app.use('*', metrics.middleware());
  metrics.gauge('tandem_license_leases_in_use', 'Terminal-connection leases held on this server (process lease view only).', () => licensing.leases.inUse(deps.now().getTime()) ?? NaN);
  metrics.gauge('tandem_auth_failures', 'Requests refused for a missing, unknown or revoked token since start.', () => services.failedAuthentications.total);
  metrics.gauge('tandem_sync_last_success_seconds', 'Unix time of the last successful pull from the peer (0: none since start).', () => sync.counters.lastSuccessSeconds);
  metrics.gauge('tandem_sync_changes_applied', 'Peer changes applied since start.', () => sync.counters.changesApplied);
  metrics.gauge('tandem_sync_conflicts', 'Conflicts met while applying peer changes since start.', () => sync.counters.conflicts);
  metrics.gauge('tandem_sync_failed_changes', 'Peer changes that could not be applied since start.', () => sync.counters.failedChanges);
  metrics.gauge('tandem_sync_pull_failures', 'Pulls from the peer that failed since start.', () => sync.counters.pullFailures);
  metrics.gauge('tandem_sync_peer_clock_skew_seconds', "The peer's clock minus this server's, as last measured by a pull (NaN: not yet).", () => {
    const skewMs = sync.pair.clock.skewMs;
    return skewMs === null ? NaN : skewMs / 1000;
  });
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('services', services);
    await next();
  });
  app.use('/api/*', requestBodyRules(MAX_BODY_BYTES, [CONFIGURATION_IMPORT_PATH, FIRMWARE_UPLOAD_PATH]));
  // Pokes the peer after each committed change; on Workers the poke outlives the response through waitUntil.
  app.use('/api/*', async (c, next) => {
    await next();
    keepRunning(c, sync.pendingWork());
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
  mountDashboard(app, routeTable, deps, services);
  mountConfigurationTransfer(app, routeTable);
  mountFirmwareUpload(app, routeTable);
  mountBackup(app, routeTable);
  if (deps.benchReference) mountBenchReference(app, routeTable, deps.db);

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
  return Object.assign(app, { routeTable, metrics, services });
}
