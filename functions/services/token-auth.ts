import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { apiTokens } from '../../db/schema';
import type { Role } from '../domain/roles';
import { hashToken } from '../domain/token';

/** Who a valid token speaks for. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

/**
 * Finds who a bearer token belongs to. Lookups are cached briefly, keyed by the token as sent:
 * a boot needs neither a second database read nor a digest. A token written in this process
 * (`tokens` commit topic: a revoke, a new token) clears the cache at once; a revoke on another
 * process of the same database takes effect within the TTL.
 */
export class TokenAuthenticator {
  private readonly cache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(
    private readonly db: Database,
    private readonly now: () => Date,
  ) {
    db.onCommitted('tokens', () => this.cache.clear());
  }

  async principalFor(token: string): Promise<Principal | null> {
    const now = this.now().getTime();
    const hit = this.cache.get(token);
    if (hit && hit.expires > now) return hit.principal;
    const row = await this.db.orm
      .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, revokedAt: apiTokens.revokedAt })
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, await hashToken(token)))
      .get();
    const principal = row && !row.revokedAt ? { tokenId: row.id, name: row.name, role: row.role } : null;
    // Guessed tokens must not grow memory without bound.
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(token, { principal, expires: now + CACHE_TTL_MS });
    return principal;
  }
}
