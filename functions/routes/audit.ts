import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { desc } from 'drizzle-orm';
import { auditEvents } from '../../db/schema';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import { historyFilter, pageOf, pageQuery, periodQuery } from './paging';
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
          ...periodQuery,
          ...pageQuery,
        }),
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      const where = historyFilter(
        [
          [auditEvents.entity, q.entity],
          [auditEvents.entityId, q.entityId],
          [auditEvents.serverId, q.serverId],
        ],
        auditEvents.at,
        q,
      );
      return c.json(await pageOf(c.var.deps.db.orm, auditEvents, where, desc(auditEvents.id), q));
    },
  );
}
