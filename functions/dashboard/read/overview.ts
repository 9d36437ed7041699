import { count, desc, eq, max, sql } from 'drizzle-orm';
import { apiTokens, auditEvents, pendingTerminals, terminalStatus } from '../../../db/schema';
import type { AppDeps } from '../../deps';
import { licenseView } from '../../routes/license';
import type { Services } from '../../services/services';
import type { SyncStatus } from '../../sync/status';
import { mergeRelays, type RelaySeen } from '../view/relay-health';
import type { TerminalState } from '../view/terminal-state';
import { Fresh } from './memo';
import { countTerminalStates } from './terminal-states';

export interface OverviewFigures {
  at: number;
  license: Awaited<ReturnType<typeof licenseView>>;
  /** Null on a single server (no peer, no redundancy). */
  sync: SyncStatus | null;
  terminals: Record<TerminalState, number>;
  pending: number;
  relays: RelaySeen[];
  events: (typeof auditEvents.$inferSelect)[];
}

/** Every open overview polls: its figures are read at most this often and shared. */
export const OVERVIEW_MAX_AGE_MS = 2_000;

/** The overview's figures of one app, read at most every OVERVIEW_MAX_AGE_MS. */
export function overviewFigures(deps: AppDeps, services: Services): Fresh<OverviewFigures> {
  return new Fresh(OVERVIEW_MAX_AGE_MS, () => readOverview(deps, services));
}

async function readOverview(deps: AppDeps, services: Services): Promise<OverviewFigures> {
  const orm = deps.db.orm;
  const now = deps.now().getTime();
  const pair = deps.peerUrl !== undefined;
  const [license, sync, terminals, [{ pending }], tokens, checkIns, asked, events] = await Promise.all([
    licenseView(deps, services.licensing),
    pair ? services.sync.status() : Promise.resolve(null),
    countTerminalStates(orm, now),
    orm.select({ pending: count() }).from(pendingTerminals).all(),
    orm.select({ name: apiTokens.name, revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.role, 'relay')).all(),
    orm
      .select({
        name: terminalStatus.relayId,
        lastSeenAt: max(terminalStatus.lastBootAt),
        terminals: count(),
        bootedFromCache: sql<number>`sum(case when ${terminalStatus.source} = 'cache' then 1 else 0 end)`,
      })
      .from(terminalStatus)
      .groupBy(terminalStatus.relayId)
      .all(),
    orm.select({ name: pendingTerminals.relayId, lastSeenAt: max(pendingTerminals.lastSeen) }).from(pendingTerminals).groupBy(pendingTerminals.relayId).all(),
    orm.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(10).all(),
  ]);
  const seen = [
    ...checkIns.map((r) => ({ name: r.name, lastSeenAt: r.lastSeenAt, terminals: r.terminals, bootedFromCache: Number(r.bootedFromCache ?? 0) })),
    ...asked.filter((r): r is { name: string; lastSeenAt: string | null } => r.name !== null).map((r) => ({ ...r, terminals: 0, bootedFromCache: 0 })),
  ];
  return {
    at: now,
    license,
    sync,
    terminals,
    pending,
    relays: mergeRelays(tokens.map((t) => ({ name: t.name, revoked: t.revokedAt !== null })), seen),
    events,
  };
}
