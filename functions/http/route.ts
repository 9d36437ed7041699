import { createRoute, type OpenAPIHono, type RouteConfig, type RouteHandler, type z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
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
  /** A write a mirrored secondary still takes (revoking a leaked token while the primary is down). */
  mirroredSecondaryMay?: boolean;
  request?: RouteConfig['request'];
  responses?: RouteConfig['responses'];
  /** Runs after authorisation, before the handler (e.g. hono's etag). */
  middleware?: MiddlewareHandler<AppEnv>[];
}

export interface DeclaredRoute {
  method: Method;
  path: string;
  access: Access;
  writes: boolean;
  mirroredSecondaryMay?: boolean;
  /** How a caller proves who it is: a bearer token (the API, when absent) or a dashboard session cookie. */
  auth?: 'session';
}

/** Every route of the app, with the roles it accepts; a route not listed here fails the route-table test. */
export type RouteTable = DeclaredRoute[];

/** The route a declaration makes, as @hono/zod-openapi types its handler's input. */
type RouteOf<D extends RouteDeclaration> = { method: D['method']; path: D['path']; request: D['request']; responses: { 200: { description: string } } };

// A handler gets its input typed from the declaration's schemas; response shapes are documented
// in the declaration rather than enforced by the compiler.
type HandlerOf<D extends RouteDeclaration> = (c: Parameters<RouteHandler<RouteOf<D>, AppEnv>>[0]) => Response | Promise<Response>;

export function declareRoute<const D extends RouteDeclaration>(app: OpenAPIHono<AppEnv>, table: RouteTable, decl: D, handler: HandlerOf<D>): void {
  const route = createRoute({
    method: decl.method,
    path: decl.path,
    summary: decl.summary,
    tags: decl.tags,
    request: decl.request,
    responses: decl.responses ?? { 200: { description: 'OK' } },
    // A write is refused on a mirrored secondary whatever route it is: declaring
    // `writes: true` is all a new route needs to be covered.
    middleware: [authorize(decl.access), ...(decl.writes && !decl.mirroredSecondaryMay ? [refuseOnMirroredSecondary] : []), ...(decl.middleware ?? [])] as never,
    'x-roles': decl.access,
    'x-writes': decl.writes ?? false,
    security: decl.access === 'public' ? [] : [{ bearer: [] }],
  });
  app.openapi(route, handler as never);
  table.push({ method: decl.method, path: decl.path, access: decl.access, writes: decl.writes ?? false, ...(decl.mirroredSecondaryMay ? { mirroredSecondaryMay: true } : {}) });
}

/** A required JSON request body validated by `schema`. */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({ required: true, content: { 'application/json': { schema } } }) as const;

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
