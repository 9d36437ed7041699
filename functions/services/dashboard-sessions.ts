import { and, eq, inArray, isNotNull, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { apiTokens, dashboardSessions } from '../../db/schema';
import { needsTouch, newSessionTimes, SESSION_IDLE_MS, sessionVerdict, type SessionTimes } from '../domain/dashboard-session';
import { generateToken, sha256Hex } from '../domain/token';
import { recordAudit } from './audit';
import type { ChangeContext } from './record-change';
import type { Principal } from './token-auth';

/** A signed-in person: who their token speaks for, and the session's secrets. */
export interface DashboardSession extends SessionTimes {
  id: string;
  principal: Principal;
  /** Sent with every form (functions/dashboard/csrf.ts): derived from the cookie's secret, never stored. */
  csrfToken: string;
}

const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;
/** Sessions one token may hold at once; the oldest go first. */
const MAX_SESSIONS_PER_TOKEN = 20;

/** What a form must carry for a session: a digest of the cookie's secret, which a database reader cannot make. */
export const csrfTokenFor = (secret: string) => sha256Hex(`csrf:${secret}`);

/**
 * Dashboard sessions of one server: an API token exchanged for a random secret kept in a cookie
 * (only its sha256 is stored). A session speaks for its token: a revoked token (here, or pulled
 * from the peer) ends its sessions. Lookups are cached briefly, like tokens; a token write in this
 * process clears the cache at once.
 */
export class DashboardSessions {
  private readonly cache = new Map<string, { session: DashboardSession | null; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly now: () => Date,
  ) {
    db.onCommitted('tokens', () => this.cache.clear());
  }

  /** Starts a session for a principal whose token was just checked; returns the cookie's secret. */
  async start(principal: Principal, ctx: ChangeContext): Promise<{ secret: string; session: DashboardSession }> {
    const secret = generateToken();
    const id = await sha256Hex(secret);
    const at = ctx.at.getTime();
    const times = newSessionTimes(at);
    await this.db.write(async (tx) => {
      // Ended sessions go (expired, idle, or of a revoked token); a token keeps its newest few.
      const revoked = tx.select({ id: apiTokens.id }).from(apiTokens).where(isNotNull(apiTokens.revokedAt));
      await tx
        .delete(dashboardSessions)
        .where(or(lt(dashboardSessions.expiresAt, at), lt(dashboardSessions.lastSeenAt, at - SESSION_IDLE_MS), inArray(dashboardSessions.tokenId, revoked)));
      const held = await tx.select({ id: dashboardSessions.id }).from(dashboardSessions).where(eq(dashboardSessions.tokenId, principal.tokenId)).orderBy(dashboardSessions.createdAt).all();
      for (const old of held.slice(0, Math.max(0, held.length - MAX_SESSIONS_PER_TOKEN + 1))) await tx.delete(dashboardSessions).where(eq(dashboardSessions.id, old.id));
      await tx.insert(dashboardSessions).values({ id, tokenId: principal.tokenId, createdAt: ctx.at.toISOString(), ...times });
      await recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: 'dashboard.sign_in', entity: 'token', entityId: principal.tokenId });
    });
    return { secret, session: { id, principal, ...times, csrfToken: await csrfTokenFor(secret) } };
  }

  /** The session a cookie's secret opens, or null: unknown, ended, expired, idle, or its token revoked. */
  async find(secret: string): Promise<DashboardSession | null> {
    const now = this.now().getTime();
    const hit = this.cache.get(secret);
    const session = hit && hit.until > now ? hit.session : await this.load(secret, now);
    if (!session) return null;
    const verdict = sessionVerdict(session, now);
    if (verdict !== 'valid') {
      this.cache.delete(secret);
      await this.db.write((tx) => tx.delete(dashboardSessions).where(eq(dashboardSessions.id, session.id)));
      return null;
    }
    if (needsTouch(session, now)) {
      session.lastSeenAt = now;
      await this.db.write((tx) => tx.update(dashboardSessions).set({ lastSeenAt: now }).where(eq(dashboardSessions.id, session.id)));
    }
    return session;
  }

  /** Signs out: the session is gone here at once. */
  async end(session: DashboardSession, ctx: ChangeContext): Promise<void> {
    for (const [secret, entry] of this.cache) if (entry.session?.id === session.id) this.cache.delete(secret);
    await this.db.write(async (tx) => {
      await tx.delete(dashboardSessions).where(eq(dashboardSessions.id, session.id));
      await recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: 'dashboard.sign_out', entity: 'token', entityId: session.principal.tokenId });
    });
  }

  private async load(secret: string, now: number): Promise<DashboardSession | null> {
    const id = await sha256Hex(secret);
    const row = await this.db.orm
      .select({ expiresAt: dashboardSessions.expiresAt, lastSeenAt: dashboardSessions.lastSeenAt, tokenId: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
      .from(dashboardSessions)
      .innerJoin(apiTokens, eq(apiTokens.id, dashboardSessions.tokenId))
      .where(and(eq(dashboardSessions.id, id), isNull(apiTokens.revokedAt)))
      .get();
    const session: DashboardSession | null = row
      ? { id, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt, principal: { tokenId: row.tokenId, name: row.name, role: row.role }, csrfToken: await csrfTokenFor(secret) }
      : null;
    // Guessed secrets must not grow memory without bound.
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(secret, { session, until: now + CACHE_TTL_MS });
    return session;
  }
}
