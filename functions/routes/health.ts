import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { schemaVersion } from '../../db/database';
import { terminals } from '../../db/schema';
import { notFound } from '../domain/errors';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import type { RequestMetrics } from '../http/metrics';
import { declareRoute, type RouteTable } from '../http/route';
import { licensingOf } from '../services/license';

export function mountHealth(app: OpenAPIHono<AppEnv>, table: RouteTable, metrics: RequestMetrics): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/healthz',
      access: access.public,
      summary: 'Server id, role, schema version, and whether the database answers',
      tags: ['operations'],
      responses: { 200: { description: 'Healthy' }, 503: { description: 'The database does not answer' } },
    },
    async (c) => {
      const { serverId, role, db } = c.var.deps;
      try {
        const version = await schemaVersion(db.client);
        // Licence trouble is a warning, not ill health: relays keep using this server while an admin acts.
        const license = await licensingOf(c.var.deps).health();
        return c.json({ status: 'ok', serverId, role, schemaVersion: version, database: 'ok', license, warnings: license.warnings });
      } catch (err) {
        return c.json({ status: 'unavailable', serverId, role, schemaVersion: null, database: 'unreachable', detail: String((err as Error).message ?? err) }, 503);
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

const terminalByIdStatements = new WeakMap<Database, ReturnType<typeof prepareTerminalById>>();
const prepareTerminalById = (db: Database) => db.orm.select().from(terminals).where(eq(terminals.id, sql.placeholder('id'))).prepare();
/** Prepared once: building a query per request would cost more than reading the row. */
function terminalById(db: Database) {
  let statement = terminalByIdStatements.get(db);
  if (!statement) terminalByIdStatements.set(db, (statement = prepareTerminalById(db)));
  return statement;
}

/** The floor of `npm run bench:config`: one row read by primary key, as it is stored. */
export function mountBenchReference(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/bench/terminals/{id}',
      access: access.boot,
      summary: 'Benchmark reference: one terminal row by primary key (mounted only for benchmarks)',
      tags: ['operations'],
      request: { params: z.object({ id: z.string() }) },
    },
    async (c) => {
      const id = c.req.valid('param').id;
      const row = await terminalById(c.var.deps.db).get({ id });
      if (!row) throw notFound('terminal', id);
      return c.json(row);
    },
  );
}
