import { eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { apiTokens } from '../../db/schema';
import { DomainError } from '../domain/errors';
import type { Access } from '../domain/roles';
import type { AppEnv, Principal } from './context';
import { hashToken } from './tokens';

/**
 * Token lookups are cached briefly per process, keyed by the token as sent: a
 * boot needs neither a second database read nor a digest. A revoke in this
 * process clears the cache at once; elsewhere it takes effect within the TTL.
 */
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;
type Cached = { principal: Principal | null; expires: number };
const cache = new Map<string, Cached>();

export function forgetCachedTokens(): void {
  cache.clear();
}

async function principalFor(c: Parameters<MiddlewareHandler<AppEnv>>[0], token: string): Promise<Principal | null> {
  const now = Date.now();
  const hit = cache.get(token);
  if (hit && hit.expires > now) return hit.principal;
  const row = await c.var.deps.db.orm
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, await hashToken(token)))
    .get();
  const principal = row && !row.revokedAt ? { tokenId: row.id, name: row.name, role: row.role } : null;
  // Guessed tokens must not grow memory without bound.
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(token, { principal, expires: now + CACHE_TTL_MS });
  return principal;
}

/** Checks the bearer token against the roles a route accepts. */
export function authorize(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access === 'public') {
      c.set('principal', null);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new DomainError(401, 'unauthenticated', 'This route needs an API token: send "Authorization: Bearer <token>".');
    const principal = await principalFor(c, match[1]);
    if (!principal) throw new DomainError(401, 'invalid_token', 'The API token is unknown or has been revoked.');
    if (!access.includes(principal.role))
      throw new DomainError(403, 'forbidden_role', `The ${principal.role} role may not use this route; it needs one of: ${access.join(', ')}.`, {
        role: principal.role,
        allowed: access,
      });
    c.set('principal', principal);
    return next();
  };
}
