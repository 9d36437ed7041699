import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, count, eq } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTableWithColumns } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { notFound } from '../domain/errors';
import { access } from '../domain/roles';
import { actorOf, type AppEnv } from '../http/context';
import { checkIfMatch, recordEtag } from '../http/preconditions';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import { recordChange } from '../services/record-change';
import { refreshResolvedConfigs, type Scope } from '../services/resolved-configs';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any> & { id: string; version: number; createdAt: string; updatedAt: string };

export interface ResourceSpec {
  /** Singular, used in messages, audit events and the change log: `terminal`. */
  entity: string;
  /** Collection path: `/api/v1/terminals`. */
  path: string;
  tag: string;
  table: SQLiteTableWithColumns<any>;
  orderBy: SQLiteColumn;
  createSchema: z.ZodObject<any>;
  /** Normalises a create or update body before it is checked and stored (MAC spelling, …). */
  prepare?: (input: Record<string, any>) => Record<string, any>;
  /** Referential and structural rules on the row as it would be written. */
  validate?: (tx: Tx, next: Row, previous: Row | null) => Promise<void>;
  /** Refuses a delete that would leave dangling references. */
  ensureDeletable?: (tx: Tx, row: Row) => Promise<void>;
  /** The terminals whose boot documents a write may change. */
  scope: (tx: Tx, next: Row | null, previous: Row | null) => Promise<Scope>;
  /** Extra work in the same transaction (e.g. clearing a pending terminal). */
  afterWrite?: (tx: Tx, next: Row | null, previous: Row | null) => Promise<void>;
  /** Query filters for the list: query name → column. */
  filters?: Record<string, SQLiteColumn>;
}

const idParam = z.object({ id: z.string().min(1).max(64) });
const ifMatch = z.object({ 'if-match': z.string().optional() });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** The specs of the mounted resources by entity: a revert writes through the same rules as the API. */
export const resourceSpecs = new Map<string, ResourceSpec>();

export function mountResource(app: OpenAPIHono<AppEnv>, table: RouteTable, spec: ResourceSpec): void {
  const { entity, path, tag } = spec;
  resourceSpecs.set(entity, spec);
  const t = spec.table as any;
  const itemPath = `${path}/{id}`;
  const recordSchema = spec.createSchema.extend({
    id: z.string(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  });
  const updateSchema = spec.createSchema.partial().strict();
  const problem = { description: 'Problem document (RFC 9457)' };
  const filterQuery = z.object(Object.fromEntries(Object.keys(spec.filters ?? {}).map((k) => [k, z.string().optional()])));

  const load = async (tx: Tx | undefined, db: any, id: string): Promise<Row> => {
    const row = await (tx ?? db).select().from(t).where(eq(t.id, id)).get();
    if (!row) throw notFound(entity, id);
    return row as Row;
  };

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path,
      access: access.read,
      summary: `List ${tag}`,
      tags: [tag],
      request: { query: listQuery.extend(filterQuery.shape) },
      responses: { 200: { description: 'A page of records', content: { 'application/json': { schema: z.object({ items: z.array(recordSchema), total: z.number(), limit: z.number(), offset: z.number() }) } } } },
    },
    async (c) => {
      const { limit, offset, ...filters } = c.req.valid('query') as Record<string, any>;
      const orm = c.var.deps.db.orm as any;
      const conditions = Object.entries(filters)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => eq(spec.filters![k], v));
      const where = conditions.length ? and(...conditions) : undefined;
      const [items, [{ total }]] = await Promise.all([
        orm.select().from(t).where(where).orderBy(asc(spec.orderBy)).limit(limit).offset(offset).all(),
        orm.select({ total: count() }).from(t).where(where).all(),
      ]);
      return c.json({ items, total, limit, offset });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: itemPath,
      access: access.read,
      summary: `Get one ${entity}`,
      tags: [tag],
      request: { params: idParam },
      responses: { 200: { description: 'The record; ETag holds its version', content: { 'application/json': { schema: recordSchema } } }, 404: problem },
    },
    async (c) => {
      const row = await load(undefined, c.var.deps.db.orm, c.req.valid('param').id);
      c.header('ETag', recordEtag(row.version));
      return c.json(row);
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path,
      access: access.configure,
      writes: true,
      summary: `Create a ${entity}`,
      tags: [tag],
      request: { body: jsonBody(spec.createSchema) },
      responses: { 201: { description: 'Created', content: { 'application/json': { schema: recordSchema } } }, 400: problem, 409: problem },
    },
    async (c) => {
      const deps = c.var.deps;
      const input = spec.prepare ? spec.prepare(c.req.valid('json')) : c.req.valid('json');
      const now = deps.now();
      const row: Row = { ...input, id: crypto.randomUUID(), version: 1, createdAt: now.toISOString(), updatedAt: now.toISOString() };
      const created = await deps.db.write(async (tx) => {
        await spec.validate?.(tx, row, null);
        const [inserted] = await (tx as any).insert(t).values(row).returning();
        await spec.afterWrite?.(tx, inserted, null);
        await refreshResolvedConfigs(tx, await spec.scope(tx, inserted, null));
        await recordChange(tx, { serverId: deps.serverId, actor: actorOf(c.var.principal), at: now }, { entity, id: inserted.id, operation: 'create', before: null, after: inserted });
        return inserted as Row;
      });
      c.header('ETag', recordEtag(created.version));
      c.header('Location', `${path}/${created.id}`);
      return c.json(created, 201);
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'patch',
      path: itemPath,
      access: access.configure,
      writes: true,
      summary: `Change a ${entity}; send If-Match with the version you read`,
      tags: [tag],
      request: { params: idParam, headers: ifMatch, body: jsonBody(updateSchema) },
      responses: { 200: { description: 'Updated', content: { 'application/json': { schema: recordSchema } } }, 400: problem, 404: problem, 409: problem, 412: problem },
    },
    async (c) => {
      const deps = c.var.deps;
      const id = c.req.valid('param').id;
      const patch = spec.prepare ? spec.prepare(c.req.valid('json')) : c.req.valid('json');
      const now = deps.now();
      const updated = await deps.db.write(async (tx) => {
        const previous = await load(tx, null, id);
        checkIfMatch(c.req.header('if-match'), previous.version);
        const next: Row = { ...previous, ...patch, id, version: previous.version + 1, createdAt: previous.createdAt, updatedAt: now.toISOString() };
        await spec.validate?.(tx, next, previous);
        const [written] = await (tx as any).update(t).set(next).where(eq(t.id, id)).returning();
        await spec.afterWrite?.(tx, written, previous);
        await refreshResolvedConfigs(tx, await spec.scope(tx, written, previous));
        await recordChange(tx, { serverId: deps.serverId, actor: actorOf(c.var.principal), at: now }, { entity, id, operation: 'update', before: previous, after: written });
        return written as Row;
      });
      c.header('ETag', recordEtag(updated.version));
      return c.json(updated);
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'delete',
      path: itemPath,
      access: access.configure,
      writes: true,
      summary: `Delete a ${entity}; send If-Match with the version you read`,
      tags: [tag],
      request: { params: idParam, headers: ifMatch },
      responses: { 204: { description: 'Deleted' }, 404: problem, 409: problem, 412: problem },
    },
    async (c) => {
      const deps = c.var.deps;
      const id = c.req.valid('param').id;
      const now = deps.now();
      await deps.db.write(async (tx) => {
        const previous = await load(tx, null, id);
        checkIfMatch(c.req.header('if-match'), previous.version);
        await spec.ensureDeletable?.(tx, previous);
        const scope = await spec.scope(tx, null, previous);
        await (tx as any).delete(t).where(eq(t.id, id));
        await spec.afterWrite?.(tx, null, previous);
        await refreshResolvedConfigs(tx, scope);
        await recordChange(tx, { serverId: deps.serverId, actor: actorOf(c.var.principal), at: now }, { entity, id, operation: 'delete', before: previous, after: null });
      });
      return c.body(null, 204);
    },
  );
}

