import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { notFound } from '../domain/errors';
import { access } from '../domain/roles';
import { redactSecrets } from '../domain/secrets';
import { actorOf, type AppEnv } from '../http/context';
import { checkIfMatch, recordEtag } from '../http/preconditions';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import type { ChangeContext } from '../services/record-change';
import { knownEntity } from '../services/entities';
import { createRecord, deleteRecord, findRecord, updateRecord } from '../services/write-record';
import { pageOf, pageQuery } from './paging';

/** How one kind of configuration record is reached over HTTP; its rules are the entity's (`services/entities.ts`). */
export interface ResourceRoutes {
  /** The entity of the registry: `terminal`. */
  entity: string;
  /** Collection path: `/api/v1/terminals`. */
  path: string;
  tag: string;
  orderBy: SQLiteColumn;
  /** Query filters for the list: query name → column. */
  filters?: Record<string, SQLiteColumn>;
}

const idParam = z.object({ id: z.string().min(1).max(64) });
const ifMatch = z.object({ 'if-match': z.string().optional() });
const problem = { description: 'Problem document (RFC 9457)' };

/** List, get, create, change and delete one kind of configuration record. */
export function mountResource(app: OpenAPIHono<AppEnv>, table: RouteTable, routes: ResourceRoutes): void {
  const { entity, path, tag } = routes;
  const spec = knownEntity(entity);
  const input = spec.input!;
  const itemPath = `${path}/{id}`;
  const recordSchema = input.extend({ id: z.string(), version: z.number().int(), createdAt: z.string(), updatedAt: z.string() });
  const filters = routes.filters ?? {};
  const filterQuery = z.object(Object.fromEntries(Object.keys(filters).map((k) => [k, z.string().optional()])));
  // Viewers read the configuration without its credentials; those who may change it see them.
  const shown = <T>(principal: AppEnv['Variables']['principal'], row: T): T => (principal?.role === 'viewer' ? redactSecrets(entity, row) : row);
  const changeContext = (c: { var: AppEnv['Variables'] }): ChangeContext => ({ serverId: c.var.deps.serverId, actor: actorOf(c.var.principal), at: c.var.deps.now() });

  declareRoute(
    app,
    table,
    {
      method: 'get',
      path,
      access: access.read,
      summary: `List ${tag}`,
      tags: [tag],
      request: { query: z.object(pageQuery).extend(filterQuery.shape) },
      responses: { 200: { description: 'A page of records', content: { 'application/json': { schema: z.object({ items: z.array(recordSchema), total: z.number(), limit: z.number(), offset: z.number() }) } } } },
    },
    async (c) => {
      const { limit, offset, ...asked } = c.req.valid('query') as { limit: number; offset: number } & Record<string, string | undefined>;
      const orm = c.var.deps.db.orm;
      const conditions = Object.entries(asked)
        .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[0] in filters)
        .map(([k, v]) => eq(filters[k], v));
      const where = conditions.length ? and(...conditions) : undefined;
      const page = await pageOf(orm, spec.table, where, asc(routes.orderBy), { limit, offset });
      return c.json({ ...page, items: page.items.map((row) => shown(c.var.principal, row)) });
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
      const id = c.req.valid('param').id;
      const row = await findRecord(c.var.deps.db.orm, spec, id);
      if (!row) throw notFound(entity, id);
      c.header('ETag', recordEtag(row.version));
      return c.json(shown(c.var.principal, row));
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
      request: { body: jsonBody(input) },
      responses: { 201: { description: 'Created', content: { 'application/json': { schema: recordSchema } } }, 400: problem, 409: problem },
    },
    async (c) => {
      const body = c.req.valid('json') as Record<string, unknown>;
      const created = await c.var.deps.db.write((tx) => createRecord(tx, changeContext(c), entity, body));
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
      request: { params: idParam, headers: ifMatch, body: jsonBody(input.partial().strict()) },
      responses: { 200: { description: 'Updated', content: { 'application/json': { schema: recordSchema } } }, 400: problem, 404: problem, 409: problem, 412: problem },
    },
    async (c) => {
      const id = c.req.valid('param').id;
      const patch = c.req.valid('json') as Record<string, unknown>;
      const ifMatchHeader = c.req.valid('header')['if-match'];
      const updated = await c.var.deps.db.write((tx) => updateRecord(tx, changeContext(c), entity, id, patch, (version) => checkIfMatch(ifMatchHeader, version)));
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
      const id = c.req.valid('param').id;
      const ifMatchHeader = c.req.valid('header')['if-match'];
      await c.var.deps.db.write((tx) => deleteRecord(tx, changeContext(c), entity, id, (version) => checkIfMatch(ifMatchHeader, version)));
      return c.body(null, 204);
    },
  );
}
