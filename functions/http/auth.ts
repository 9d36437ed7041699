import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../domain/errors';
import type { Access } from '../domain/roles';
import type { AppEnv } from './context';

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
    const principal = await c.var.services.tokens.principalFor(match[1]);
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
