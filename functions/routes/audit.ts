import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, gte, lte } from 'drizzle-orm';
import { auditEvents } from '../../db/schema';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import { pageOf, pageQuery } from './paging';
import { declareRoute, type RouteTable } from '../http/route';

export function mountAudit(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/audit-events',
      access: access.read,
      summary: 'The audit event log: who changed what, on which server, newest first',
      tags: ['audit'],
      request: {
        query: z.object({
          entity: z.string().optional(),
          entityId: z.string().optional(),
          serverId: z.string().optional(),
          since: z.string().datetime().optional(),
          until: z.string().datetime().optional(),
          ...pageQuery,
        }),
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      const where = and(
        q.entity ? eq(auditEvents.entity, q.entity) : undefined,
        q.entityId ? eq(auditEvents.entityId, q.entityId) : undefined,
        q.serverId ? eq(auditEvents.serverId, q.serverId) : undefined,
        q.since ? gte(auditEvents.at, q.since) : undefined,
        q.until ? lte(auditEvents.at, q.until) : undefined,
      );
      return c.json(await pageOf(c.var.deps.db.orm, auditEvents, where, desc(auditEvents.id), q));
    },
  );
}
