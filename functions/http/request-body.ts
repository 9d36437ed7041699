import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DomainError } from '../domain/errors';
import type { AppEnv } from './context';

/**
 * Request bodies: at most `maxBytes`, and JSON. A request without a body (every
 * boot) skips both checks: the size check would build a whole fetch Request
 * for nothing, and that costs a boot more than its own work. The routes at
 * `ownRules` paths check their bodies themselves, once the caller is authorised
 * (a configuration import is larger, a firmware image is streamed).
 */
export function requestBodyRules(maxBytes: number, ownRules: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new DomainError(413, 'body_too_large', `The request body is larger than ${maxBytes} bytes.`);
    },
  });
  return async (c, next) => {
    const hasBody = Number(c.req.header('content-length') ?? 0) > 0 || c.req.header('transfer-encoding') !== undefined;
    if (!hasBody || ownRules.includes(c.req.path)) return next();
    return limit(c, async () => {
      if (!/^application\/([\w.-]+\+)?json\b/i.test(c.req.header('content-type') ?? ''))
        throw new DomainError(415, 'unsupported_media_type', 'Send the request body as JSON with "Content-Type: application/json".');
      await next();
    });
  };
}
