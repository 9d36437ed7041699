import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../domain/errors';
import type { AppEnv } from './context';

/**
 * On the secondary of a mirrored pair, configuration changes and admin actions
 * are made on the primary and reach the secondary by synchronisation; the
 * secondary refuses them, naming the primary. Reads and the boot API still work.
 */
export const refuseOnMirroredSecondary: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.var.deps;
  if (deps.role === 'secondary' && (await c.var.services.licensing.state()).mode === 'mirrored')
    throw new DomainError(
      403,
      'mirrored_secondary_read_only',
      `This server is the secondary of a mirrored pair and is read-only: make changes and admin actions on the primary${deps.peerUrl ? ` at ${deps.peerUrl}` : ' (TANDEM_PEER_URL is not set here)'}; they reach this server by synchronisation.`,
      { primaryUrl: deps.peerUrl ?? null },
    );
  await next();
};
