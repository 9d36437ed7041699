import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, count, desc, eq, gte, lte } from 'drizzle-orm';
import { auditEvents } from '../../db/schema';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
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
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
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
      const orm = c.var.deps.db.orm;
      const [items, [{ total }]] = await Promise.all([
        orm.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(q.limit).offset(q.offset).all(),
        orm.select({ total: count() }).from(auditEvents).where(where).all(),
      ]);
      return c.json({ items, total, limit: q.limit, offset: q.offset });
    },
  );
}
