import type { Context } from 'hono';

/**
 * The address a request came from: the socket's peer on Node (@hono/node-server hands the
 * request's `incoming` message in the environment), Cloudflare's connecting address on Workers.
 * Never a header a client may set on Node.
 */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  if (incoming) return incoming.socket?.remoteAddress ?? 'unknown';
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}
