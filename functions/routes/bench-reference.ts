import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { terminals } from '../../db/schema';
import { notFound } from '../domain/errors';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import { declareRoute, type RouteTable } from '../http/route';

/** The floor of `npm run bench:config`: one row read by primary key, as it is stored. Mounted only for benchmarks. */
export function mountBenchReference(app: OpenAPIHono<AppEnv>, table: RouteTable, db: Database): void {
  // Prepared once: building a query per request would cost more than reading the row.
  const terminalById = db.orm.select().from(terminals).where(eq(terminals.id, sql.placeholder('id'))).prepare();
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
      const row = await terminalById.get({ id });
      if (!row) throw notFound('terminal', id);
      return c.json(row);
    },
  );
}
