import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { changeLog, type ChangeLogEntry } from '../../db/schema';
import { notFound } from '../domain/errors';
import { access } from '../domain/roles';
import { redactSecrets } from '../domain/secrets';
import { actorOf, type AppEnv } from '../http/context';
import { historyFilter, pageOf, pageQuery, periodQuery } from './paging';
import { declareRoute, type RouteTable } from '../http/route';
import { revertChange } from '../services/revert';

const problem = { description: 'Problem document (RFC 9457)' };

/** The change history shows what changed, never a credential (the peer pulls the log itself, whole). */
const withoutSecrets = (entry: ChangeLogEntry) => ({ ...entry, before: redactSecrets(entry.entity, entry.before), after: redactSecrets(entry.entity, entry.after) });

/** History of configuration changes on both servers of a pair, and undo. */
export function mountChanges(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/changes',
      access: access.read,
      summary: 'Every configuration change known here (made here or pulled from the peer) with its before and after, newest first',
      tags: ['history'],
      request: {
        query: z.object({
          entity: z.string().optional(),
          recordId: z.string().optional(),
          /** The server the change was made on. */
          server: z.string().optional(),
          ...periodQuery,
          ...pageQuery,
        }),
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      const where = historyFilter(
        [
          [changeLog.entity, q.entity],
          [changeLog.recordId, q.recordId],
          [changeLog.origin, q.server],
        ],
        changeLog.at,
        q,
      );
      const page = await pageOf(c.var.deps.db.orm, changeLog, where, desc(changeLog.seq), q);
      return c.json({ ...page, items: page.items.map(withoutSecrets) });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/changes/{id}',
      access: access.read,
      summary: 'One change by its change id',
      tags: ['history'],
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: { 200: { description: 'The change' }, 404: problem },
    },
    async (c) => {
      const id = c.req.valid('param').id;
      const row = await c.var.deps.db.orm.select().from(changeLog).where(eq(changeLog.changeId, id)).get();
      if (!row) throw notFound('change', id);
      return c.json(withoutSecrets(row));
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/changes/{id}/revert',
      access: access.configure,
      writes: true,
      summary: 'Undo a change by writing its inverse as a new change (audited and synchronised); refused with revert_conflict when a later change would be overwritten, unless force=true',
      tags: ['history'],
      request: {
        params: z.object({ id: z.string().max(64) }),
        query: z.object({ force: z.enum(['true', 'false']).optional() }),
      },
      responses: { 201: { description: 'The new change and the record as it now is' }, 404: problem, 409: problem },
    },
    async (c) => {
      const { db, serverId, now } = c.var.deps;
      const id = c.req.valid('param').id;
      const force = c.req.valid('query').force === 'true';
      const result = await db.write((tx) => revertChange(tx, { serverId, actor: actorOf(c.var.principal), at: now() }, id, force));
      return c.json(result, 201);
    },
  );
}
