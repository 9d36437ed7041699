import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { desc } from 'drizzle-orm';
import { apiTokens } from '../../db/schema';
import { notFound } from '../domain/errors';
import { access, roles } from '../domain/roles';
import { actorOf, type AppEnv } from '../http/context';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import { issueToken, revokeToken } from '../services/tokens';

/** What a token is created with (the API's body; the dashboard's form, without `token`). */
export const tokenRequest = z.object({
  role: z.enum(roles),
  name: z.string().trim().min(1).max(100),
  token: z.string().regex(/^tdm_[A-Za-z0-9_-]{40,200}$/, 'a token as this API makes them: "tdm_" and at least 40 random characters').optional(),
});

export function mountTokens(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/tokens',
      access: access.administer,
      writes: true,
      summary: 'Create an API token; the token is shown once. `token` registers one made on the other server of a pair, so that one relay token works on both',
      tags: ['tokens'],
      request: {
        body: jsonBody(tokenRequest),
      },
      responses: { 201: { description: 'The token, shown once' } },
    },
    async (c) => {
      const { db, serverId, now } = c.var.deps;
      const input = c.req.valid('json');
      const issued = await db.write((tx) => issueToken(tx, { serverId, actor: actorOf(c.var.principal), at: now() }, input));
      return c.json(issued, 201);
    },
  );

  declareRoute(
    app,
    table,
    { method: 'get', path: '/api/v1/tokens', access: access.administer, summary: 'List API tokens (never the tokens themselves)', tags: ['tokens'] },
    async (c) => {
      const items = await c.var.deps.db.orm
        .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, createdAt: apiTokens.createdAt, createdBy: apiTokens.createdBy, revokedAt: apiTokens.revokedAt })
        .from(apiTokens)
        .orderBy(desc(apiTokens.createdAt))
        .all();
      return c.json({ items });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'delete',
      path: '/api/v1/tokens/{id}',
      access: access.administer,
      writes: true,
      mirroredSecondaryMay: true,
      summary: 'Revoke an API token; the revocation reaches the peer by synchronisation. A mirrored secondary takes it too, so that a leaked token can be stopped while the primary is down',
      tags: ['tokens'],
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: { 204: { description: 'Revoked' } },
    },
    async (c) => {
      const { db, serverId, now } = c.var.deps;
      const id = c.req.valid('param').id;
      const revoked = await db.write((tx) => revokeToken(tx, { serverId, actor: actorOf(c.var.principal), at: now() }, id));
      if (!revoked) throw notFound('token', id);
      return c.body(null, 204);
    },
  );
}
