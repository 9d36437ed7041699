import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { desc } from 'drizzle-orm';
import { pendingTerminals, terminalStatus } from '../../db/schema';
import { requireMac } from '../domain/mac';
import { access } from '../domain/roles';
import { actorOf, type AppEnv } from '../http/context';
import { declareRoute, type RouteTable } from '../http/route';
import { dismissPendingTerminal } from '../services/pending-terminals';
import { pageOf, pageQuery } from './paging';

const page = z.object(pageQuery);

/** New hardware waiting to be configured, and what relays reported about boots. */
export function mountPending(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    { method: 'get', path: '/api/v1/pending-terminals', access: access.read, summary: 'Terminals that asked for configuration but are not configured', tags: ['terminals'], request: { query: page } },
    async (c) => {
      return c.json(await pageOf(c.var.deps.db.orm, pendingTerminals, undefined, desc(pendingTerminals.lastSeen), c.req.valid('query')));
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'delete',
      path: '/api/v1/pending-terminals/{mac}',
      access: access.configure,
      writes: true,
      summary: 'Dismiss a pending terminal',
      tags: ['terminals'],
      request: { params: z.object({ mac: z.string().max(64) }) },
      responses: { 204: { description: 'Dismissed' } },
    },
    async (c) => {
      const mac = requireMac(c.req.valid('param').mac);
      const { db, serverId, now } = c.var.deps;
      await dismissPendingTerminal(db, { serverId, actor: actorOf(c.var.principal), at: now() }, mac);
      return c.body(null, 204);
    },
  );

  declareRoute(
    app,
    table,
    { method: 'get', path: '/api/v1/terminal-status', access: access.read, summary: 'Last boot of each terminal, as relays reported it', tags: ['terminals'], request: { query: page } },
    async (c) => {
      const { limit, offset } = c.req.valid('query');
      const items = await c.var.deps.db.orm.select().from(terminalStatus).orderBy(desc(terminalStatus.lastBootAt)).limit(limit).offset(offset).all();
      return c.json({ items, limit, offset });
    },
  );
}
