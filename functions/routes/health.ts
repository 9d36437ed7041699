import type { OpenAPIHono } from '@hono/zod-openapi';
import { databaseSchemaVersion } from '../../db/database';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import type { RequestMetrics } from '../http/metrics';
import { declareRoute, type RouteTable } from '../http/route';

export function mountHealth(app: OpenAPIHono<AppEnv>, table: RouteTable, metrics: RequestMetrics): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/healthz',
      access: access.public,
      summary: 'Server id, role, schema versions (this release\'s, the database\'s), and whether the database answers',
      tags: ['operations'],
      responses: { 200: { description: 'Healthy' }, 503: { description: 'The database does not answer' } },
    },
    async (c) => {
      const { serverId, role, db } = c.var.deps;
      try {
        // The database's may be ahead of this release's while a newer release is rolled out.
        const databaseVersion = await databaseSchemaVersion(db.client);
        // Licence trouble is a warning, not ill health: relays keep using this server while an admin acts.
        const license = await c.var.services.licensing.health();
        const warnings = [...(c.var.deps.warnings ?? []), ...license.warnings];
        return c.json({ status: 'ok', serverId, role, schemaVersion: db.schemaVersion, databaseSchemaVersion: databaseVersion, database: 'ok', license, warnings });
      } catch (err) {
        return c.json({ status: 'unavailable', serverId, role, schemaVersion: db.schemaVersion, databaseSchemaVersion: null, database: 'unreachable', detail: String((err as Error).message ?? err) }, 503);
      }
    },
  );

  declareRoute(
    app,
    table,
    { method: 'get', path: '/metrics', access: access.monitor, summary: 'Prometheus metrics', tags: ['operations'] },
    (c) => c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }),
  );
}
