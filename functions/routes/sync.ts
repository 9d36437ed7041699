import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { syncConflicts } from '../../db/schema';
import { DomainError } from '../domain/errors';
import { access } from '../domain/roles';
import { redactSecrets } from '../domain/secrets';
import { answersPeers } from '../domain/sync-direction';
import { actorOf, type AppEnv } from '../http/context';
import { keepRunning } from '../http/background';
import { declareRoute, type RouteTable } from '../http/route';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from '../sync/pull';
import { checkCaller, readChangesPage, readSnapshot } from '../sync/serve';
import { acknowledgeConflict } from '../sync/conflicts';
import { setPaused } from '../sync/state';
import { changesPage, SCHEMA_VERSION_HEADER, SERVER_ID_HEADER, snapshotDocument } from '../sync/wire';

const problem = { description: 'Problem document (RFC 9457)' };

type Conflict = typeof syncConflicts.$inferSelect;
/** Both versions of a conflict, as an admin compares them: credentials redacted. */
const conflictWithoutSecrets = (conflict: Conflict): Conflict => {
  const side = (s: Conflict['local']) => (s && typeof s === 'object' ? { ...s, state: redactSecrets(conflict.entity, (s as { state?: unknown }).state) } : s);
  return { ...conflict, local: side(conflict.local), remote: side(conflict.remote) };
};
const peerHeaders = z.object({
  [SERVER_ID_HEADER]: z.string().optional().openapi({ description: "The calling server's TANDEM_SERVER_ID" }),
  [SCHEMA_VERSION_HEADER]: z.string().optional().openapi({ description: "The calling server's schema version" }),
});

/** The sync API between the servers of a pair (role `peer`), and its status and controls for admins. */
export function mountSync(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  /** Peers are answered in a redundant mode, unless synchronisation is paused on this server. */
  const servingCheck = async (c: Context<AppEnv>) => {
    const engine = c.var.services.sync;
    const { mode, direction } = await engine.pair.direction();
    if (!answersPeers(mode)) throw new DomainError(409, 'sync_not_licensed', `This server does not synchronise: ${direction.reason}.`, { mode });
    if (await engine.pair.paused())
      throw new DomainError(409, 'sync_paused', `Synchronisation is paused on ${c.var.deps.serverId}; it resumes when an admin resumes it there (POST /api/v1/sync/resume).`);
    const self = await engine.pair.identity();
    checkCaller(self, c.req.header(SERVER_ID_HEADER), c.req.header(SCHEMA_VERSION_HEADER));
    return { engine, self };
  };

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/sync/changes',
      access: access.peer,
      summary: "This server's own changes after a cursor, oldest first, with its schema version (origin=caller: the caller's own changes held here, for a caller restored from a backup)",
      tags: ['sync'],
      request: {
        headers: peerHeaders,
        query: z.object({
          after: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(0).max(MAX_BATCH_SIZE).default(DEFAULT_BATCH_SIZE),
          /** `caller`: the calling server's own changes held here, for a caller restored from a backup (sync/recover.ts). */
          origin: z.enum(['self', 'caller']).default('self'),
        }),
      },
      responses: {
        200: { description: 'A page of changes', content: { 'application/json': { schema: changesPage } } },
        409: { description: 'schema_mismatch: the two servers run different schema versions (both named); sync_not_licensed: single-server mode; sync_paused' },
      },
    },
    async (c) => {
      const { engine, self } = await servingCheck(c);
      const { after, limit, origin } = c.req.valid('query');
      if (origin === 'caller') {
        const caller = c.req.header(SERVER_ID_HEADER);
        if (!caller) throw new DomainError(400, 'invalid_field', `origin=caller needs the ${SERVER_ID_HEADER} header: the caller's server id.`, { field: SERVER_ID_HEADER });
        return c.json(await readChangesPage(c.var.deps.db, self, after, limit, c.var.deps.now(), caller));
      }
      const page = await readChangesPage(c.var.deps.db, self, after, limit, c.var.deps.now());
      if (limit > 0) engine.noteServed(c.req.header(SERVER_ID_HEADER)!, after);
      return c.json(page);
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/sync/snapshot',
      access: access.peer,
      summary: 'Every synchronised record, its head and the change log, read consistently with the log position, to bootstrap a new server',
      tags: ['sync'],
      request: { headers: peerHeaders },
      responses: { 200: { description: 'The snapshot', content: { 'application/json': { schema: snapshotDocument } } }, 409: problem },
    },
    async (c) => {
      const { self } = await servingCheck(c);
      return c.json(await readSnapshot(c.var.deps.db, self, c.var.deps.now()));
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/sync/poke',
      access: access.peer,
      summary: 'The peer wrote a change: pull now. Answers at once, or with wait=true after the pull, with what it did',
      tags: ['sync'],
      request: { query: z.object({ wait: z.enum(['true', 'false']).optional() }) },
      responses: { 200: { description: 'wait=true: what the pull did' }, 202: { description: 'Accepted; `pulling` says whether this server pulls from the peer' } },
    },
    async (c) => {
      const engine = c.var.services.sync;
      const { direction } = await engine.pair.direction();
      if (!direction.pulls) return c.json({ pulling: false, reason: direction.reason }, 202);
      if (c.req.valid('query').wait === 'true') return c.json(await engine.requestPull());
      keepRunning(c, engine.requestPull());
      return c.json({ pulling: true, reason: direction.reason }, 202);
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/sync/status',
      access: access.monitor,
      summary: 'Peer URL, whether it answers, last successful sync, lag in changes and seconds, open conflicts',
      tags: ['sync'],
    },
    async (c) => {
      const status = await c.var.services.sync.status();
      return c.json({ ...status, conflicts: status.conflicts.map(conflictWithoutSecrets) });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/sync/run',
      access: access.administer,
      writes: true,
      summary: 'Synchronise now: pull from the peer (or, on a mirrored primary, make the secondary pull) and wait for it',
      tags: ['sync'],
      responses: { 200: { description: 'What the pull did' }, 409: problem, 502: { description: 'The peer did not answer or refused' } },
    },
    async (c) => {
      const result = await c.var.services.sync.runNow();
      return c.json(result);
    },
  );

  const pauseRoute = (paused: boolean) =>
    declareRoute(
      app,
      table,
      {
        method: 'post',
        path: paused ? '/api/v1/sync/pause' : '/api/v1/sync/resume',
        access: access.administer,
        writes: true,
        summary: paused
          ? 'Pause synchronisation with this server (maintenance): it neither pulls from the peer nor answers its pulls; writes go on and travel once resumed'
          : 'Resume synchronisation with this server, pulling at once',
        tags: ['sync'],
      },
      async (c) => {
        const { db, serverId, now } = c.var.deps;
        const state = await setPaused(db, { serverId, actor: actorOf(c.var.principal), at: now() }, paused);
        const engine = c.var.services.sync;
        // Once paused is answered, no pull is still under way.
        if (paused) await engine.pullsSettled();
        else {
          // Pull now, and tell the peer that this server answers again.
          keepRunning(c, engine.requestPull());
          engine.notifyLocalChange();
        }
        return c.json({ paused: state.paused, pausedAt: state.pausedAt, pausedBy: state.pausedBy });
      },
    );
  pauseRoute(true);
  pauseRoute(false);

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/sync/conflicts',
      access: access.read,
      summary: 'Conflicts met while synchronising: both versions and the one in effect, newest first',
      tags: ['sync'],
      request: {
        query: z.object({
          open: z.enum(['true', 'false']).optional(),
          entity: z.string().optional(),
          recordId: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      const where = and(
        q.open === 'true' ? isNull(syncConflicts.acknowledgedAt) : undefined,
        q.entity ? eq(syncConflicts.entity, q.entity) : undefined,
        q.recordId ? eq(syncConflicts.recordId, q.recordId) : undefined,
      );
      const items = await c.var.deps.db.orm.select().from(syncConflicts).where(where).orderBy(desc(syncConflicts.detectedAt)).limit(q.limit).all();
      return c.json({ items: items.map(conflictWithoutSecrets) });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/sync/conflicts/{id}/acknowledge',
      access: access.configure,
      writes: true,
      summary: 'Mark a conflict as seen; it no longer counts as open',
      tags: ['sync'],
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: { 200: { description: 'The conflict' }, 404: problem },
    },
    async (c) => {
      const { db, serverId, now } = c.var.deps;
      const row = await acknowledgeConflict(db, { serverId, actor: actorOf(c.var.principal), at: now() }, c.req.valid('param').id);
      return c.json(row);
    },
  );
}

