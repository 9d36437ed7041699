import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../domain/errors';
import type { Access } from '../domain/roles';
import { clientAddress } from './client-address';
import type { AppEnv } from './context';

/** Checks the bearer token against the roles a route accepts. */
export function authorize(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access === 'public') {
      c.set('principal', null);
      return next();
    }
    const failures = c.var.services.failedAuthentications;
    const source = clientAddress(c);
    const wait = failures.wait(source);
    if (wait > 0)
      throw new DomainError(429, 'too_many_failed_authentications', `Too many failed authentications from ${source}; try again in ${wait} s.`, { retryAfterSeconds: wait });
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      failures.note(source, 'unauthenticated', c.req.path);
      throw new DomainError(401, 'unauthenticated', 'This route needs an API token: send "Authorization: Bearer <token>".');
    }
    const principal = await c.var.services.tokens.principalFor(match[1]);
    if (!principal) {
      failures.note(source, 'invalid_token', c.req.path);
      throw new DomainError(401, 'invalid_token', 'The API token is unknown or has been revoked.');
    }
    if (!access.includes(principal.role))
      throw new DomainError(403, 'forbidden_role', `The ${principal.role} role may not use this route; it needs one of: ${access.join(', ')}.`, {
        role: principal.role,
        allowed: access,
      });
    c.set('principal', principal);
    return next();
  };
}
