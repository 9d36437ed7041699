import type { Context, Handler, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DomainError } from '../domain/errors';
import type { Access } from '../domain/roles';
import { refuseOnMirroredSecondary } from '../http/mirrored';
import type { RouteTable } from '../http/route';
import type { DashboardEnv, Viewer } from './context';
import { checkCsrf } from './csrf';
import { readSessionCookie } from './session';

/** A dashboard page or form action, as the route table lists it. */
export interface PageDeclaration {
  method: 'get' | 'post';
  /** OpenAPI style, as in the route table: `/dashboard/terminals/{id}`. */
  path: string;
  access: Access;
  /** True for actions that change configuration or state an admin owns: refused on a mirrored secondary. */
  writes?: boolean;
  /** A write a mirrored secondary still takes (revoking a token, as the API). */
  mirroredSecondaryMay?: boolean;
  /** The handler reads the body itself, as a stream (a firmware image): no form parsing or size limit here. */
  streamsBody?: boolean;
}

export const FORM_MAX_BYTES = 1024 * 1024;
export const SIGN_IN_PATH = '/dashboard/sign-in';

const formLimit = bodyLimit({
  maxSize: FORM_MAX_BYTES,
  onError: () => {
    throw new DomainError(413, 'body_too_large', `The form is larger than ${FORM_MAX_BYTES / 1024} KiB.`);
  },
});

/** A streamed body comes from the page's script, as it is: a form post of it would be read whole into memory. */
const octetStream: MiddlewareHandler = async (c, next) => {
  if (!/^application\/octet-stream\b/i.test(c.req.header('content-type') ?? ''))
    throw new DomainError(415, 'unsupported_media_type', 'Send the file as it is (application/octet-stream): the page does so with its script, which this browser did not run.');
  await next();
};

/**
 * Mounts a page: the signed-in viewer and their role checked against `access`, the CSRF token of
 * every post, a mirrored secondary's refusal of writes; and lists it in the route table, so that
 * the route × role test walks it like every API route.
 */
export function declarePage(app: Hono<DashboardEnv>, table: RouteTable, decl: PageDeclaration, handler: Handler<DashboardEnv>): void {
  const chain: MiddlewareHandler<DashboardEnv>[] = [];
  if (decl.method === 'post' && !decl.streamsBody) chain.push(formLimit as MiddlewareHandler<DashboardEnv>);
  if (decl.access !== 'public') {
    chain.push(signedIn(decl.access));
    // A streamed body is never parsed as a form: its token comes in the header.
    if (decl.method === 'post') chain.push(async (c, next) => (await checkCsrf(c, c.var.viewer.session.csrfToken, { headerOnly: decl.streamsBody }), next()));
    if (decl.streamsBody) chain.push(octetStream as MiddlewareHandler<DashboardEnv>);
    if (decl.writes && !decl.mirroredSecondaryMay) chain.push(refuseOnMirroredSecondary as unknown as MiddlewareHandler<DashboardEnv>);
  }
  const mount = app.on as unknown as (method: string, path: string, ...handlers: Handler<DashboardEnv>[]) => void;
  mount.call(app, decl.method.toUpperCase(), decl.path.replace(/\{(\w+)\}/g, ':$1'), ...chain, handler);
  table.push({ method: decl.method, path: decl.path, access: decl.access, writes: decl.writes ?? false, ...(decl.mirroredSecondaryMay ? { mirroredSecondaryMay: true } : {}), auth: 'session' });
}

/** The viewer of a signed-in request whose role `access` admits; a page asks signed-out visitors to sign in. */
function signedIn(access: readonly string[]): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const secret = readSessionCookie(c);
    const session = secret ? await c.var.services.sessions.find(secret) : null;
    if (!session) {
      if (c.req.method === 'GET') return c.redirect(`${SIGN_IN_PATH}?next=${encodeURIComponent(c.req.path)}`, 303);
      throw new DomainError(401, 'signed_out', 'Your session has ended (signed out, expired, or its token was revoked): sign in again.');
    }
    c.set('principal', session.principal);
    c.set('viewer', await viewerOf(c, session));
    const role = session.principal.role;
    if (!access.includes(role))
      throw new DomainError(403, 'forbidden_role', `The ${role} role may not use this page; it needs one of: ${access.join(', ')}.`, { role, allowed: access });
    await next();
  };
}

async function viewerOf(c: Context<DashboardEnv>, session: Viewer['session']): Promise<Viewer> {
  const { deps, services } = c.var;
  const readOnly = deps.role === 'secondary' && (await services.licensing.state()).mode === 'mirrored';
  const role = session.principal.role;
  return {
    session,
    name: session.principal.name,
    role,
    readOnly,
    primaryDashboard: readOnly && deps.peerUrl ? new URL('/dashboard', deps.peerUrl).toString() : null,
    may: (access, writes = true) => access !== 'public' && access.includes(role) && !(writes && readOnly),
  };
}
