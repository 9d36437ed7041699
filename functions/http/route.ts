import { createRoute, type OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../domain/errors';
import type { Access } from '../domain/roles';
import { authorize } from './auth';
import type { AppEnv } from './context';
import { refuseOnMirroredSecondary } from './mirrored';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteDeclaration {
  method: Method;
  /** OpenAPI style: `/api/v1/terminals/{id}`. */
  path: string;
  access: Access;
  summary: string;
  tags?: string[];
  /** True for routes that change configuration or state an admin owns. */
  writes?: boolean;
  request?: RouteConfig['request'];
  responses?: RouteConfig['responses'];
}

export interface DeclaredRoute {
  method: Method;
  path: string;
  access: Access;
  writes: boolean;
}

/** Every route of the app, with the roles it accepts; a route not listed here fails the route-table test. */
export type RouteTable = DeclaredRoute[];

// Handlers are typed loosely: the zod schemas validate at the edge, and the
// response shapes are documented rather than enforced by the compiler.
/* eslint-disable @typescript-eslint/no-explicit-any */
type ValidatedInput = { out: { json: any; query: any; param: any; header: any } };
type Handler = (c: Context<AppEnv, string, ValidatedInput>) => Response | Promise<Response>;

export function declareRoute(app: OpenAPIHono<AppEnv>, table: RouteTable, decl: RouteDeclaration, handler: Handler): void {
  const route = createRoute({
    method: decl.method,
    path: decl.path,
    summary: decl.summary,
    tags: decl.tags,
    request: decl.request,
    responses: decl.responses ?? { 200: { description: 'OK' } },
    // A write is refused on a mirrored secondary whatever route it is: declaring
    // `writes: true` is all a new route needs to be covered.
    middleware: (decl.writes ? [authorize(decl.access), refuseOnMirroredSecondary] : [authorize(decl.access)]) as never,
    'x-roles': decl.access,
    'x-writes': decl.writes ?? false,
    security: decl.access === 'public' ? [] : [{ bearer: [] }],
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app.openapi(route, handler as any);
  table.push({ method: decl.method, path: decl.path, access: decl.access, writes: decl.writes ?? false });
}

/** A required JSON request body validated by `schema`. */
export const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });

/** Validation failures become one problem document naming every wrong field. */
export function validationHook(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] }; target?: string }) {
  if (result.success) return;
  const issues = result.error!.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
  const first = issues[0];
  throw new DomainError(400, 'invalid_field', `${first.field}: ${first.message}`, {
    field: first.field,
    errors: issues,
  });
}
