import { and, asc, count, eq, gt, inArray, lte } from 'drizzle-orm';
import type { Database, Tx } from '../../db/database';
import { terminalLeases, type TerminalLease } from '../../db/schema';
import { decideGrants, isLeaseValid, leaseExpiry, type GrantOutcome } from '../domain/lease';
import type { LeaseView, Log } from '../deps';
import { recordAudit } from './audit';

/*
 * The lease view (`LeaseView`):
 * - `process`: in memory, rebuilt from the database at start and updated on every
 *   grant, renewal, expiry and revoke. Exact as long as this process is the only
 *   writer of its database (a Node handler is), and a leased terminal's boot costs
 *   no database access for its lease.
 * - `database`: no memory; every check reads the lease row (on Workers, where
 *   isolates are stateless and several may serve one database).
 */

export interface LeaseBookOptions {
  db: Database;
  serverId: string;
  now: () => Date;
  log: Log;
  ttlSeconds: number;
  view: LeaseView;
  /** The number of leases this server may hold, read when a grant batch is written. */
  limit: () => Promise<number>;
}

interface Waiting {
  mac: string;
  relayId: string | null;
  resolve: (outcome: GrantOutcome) => void;
  reject: (err: unknown) => void;
}

/** Grant batches are capped so that one statement never holds too many parameters. */
const MAX_BATCH = 400;

/**
 * The leases of one server. Grants are exact under concurrency: each is decided
 * in a serialised write transaction that counts the valid leases. With a lease
 * view (Node), requests queue and are written in batches, decided in arrival
 * order (group commit: 200 concurrent first boots cost a handful of
 * transactions, not 200).
 */
export class LeaseBook {
  private valid: Map<string, number> | null = null;
  private loading: Promise<void> | null = null;
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly options: LeaseBookOptions) {}

  get view(): LeaseView {
    return this.options.view;
  }

  /** Loads the in-memory view (process view only); later calls resolve at once. */
  ready(): Promise<void> {
    if (this.options.view === 'database' || this.valid) return Promise.resolve();
    if (!this.loading) {
      this.loading = (async () => {
        const now = this.options.now().getTime();
        const rows = await this.options.db.orm
          .select({ mac: terminalLeases.mac, expiresAt: terminalLeases.expiresAt })
          .from(terminalLeases)
          .where(gt(terminalLeases.expiresAt, now))
          .all();
        this.valid = new Map(rows.map((r) => [r.mac, r.expiresAt]));
      })();
      this.loading.catch(() => (this.loading = null));
    }
    return this.loading;
  }

  /**
   * Whether the terminal holds a valid lease, from memory; undefined when this
   * book keeps no view (the caller reads the lease row instead).
   */
  holds(mac: string, now: number): boolean | undefined {
    if (!this.valid) return undefined;
    const expiresAt = this.valid.get(mac);
    if (expiresAt === undefined) return false;
    if (expiresAt > now) return true;
    this.valid.delete(mac);
    return false;
  }

  /** False when the view holds fewer leases than `limit`, expired ones included: a cheap first check. */
  mayBeFull(limit: number): boolean {
    return this.valid !== null && this.valid.size >= limit;
  }

  /** Valid leases now, from memory; undefined without a view. */
  inUse(now: number): number | undefined {
    if (!this.valid) return undefined;
    let n = 0;
    for (const [mac, expiresAt] of this.valid) {
      if (expiresAt > now) n++;
      else this.valid.delete(mac);
    }
    return n;
  }

  /**
   * Asks for a lease for a terminal: held (it has one), granted, or exhausted.
   * Without a lease view (Workers) each request writes its own transaction: work
   * batched across requests would run in another request's I/O context.
   */
  async request(mac: string, relayId: string | null): Promise<GrantOutcome> {
    if (this.options.view === 'database') return (await this.grantBatch([{ mac, relayId }])).get(mac)!;
    return new Promise((resolve, reject) => {
      this.waiting.push({ mac, relayId, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        try {
          const outcomes = await this.grantBatch(batch);
          for (const w of batch) w.resolve(outcomes.get(w.mac)!);
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async grantBatch(batch: Pick<Waiting, 'mac' | 'relayId'>[]): Promise<Map<string, GrantOutcome>> {
    const { db, serverId, ttlSeconds } = this.options;
    const limit = await this.options.limit();
    const at = this.options.now();
    const now = at.getTime();
    const expiresAt = leaseExpiry(now, ttlSeconds);
    const macs = batch.map((w) => w.mac);
    const relayOf = new Map(batch.map((w) => [w.mac, w.relayId]));

    const { outcomes, expired, held } = await db.write(async (tx) => {
      const gone = await tx.select({ mac: terminalLeases.mac }).from(terminalLeases).where(lte(terminalLeases.expiresAt, now)).all();
      if (gone.length) await tx.delete(terminalLeases).where(lte(terminalLeases.expiresAt, now));
      const [{ n }] = await tx.select({ n: count() }).from(terminalLeases).all();
      const heldRows = await tx
        .select({ mac: terminalLeases.mac, expiresAt: terminalLeases.expiresAt })
        .from(terminalLeases)
        .where(inArray(terminalLeases.mac, [...new Set(macs)]))
        .all();
      const outcomes = decideGrants(macs, new Set(heldRows.map((r) => r.mac)), n, limit);
      const granted = [...outcomes].filter(([, o]) => o === 'granted').map(([mac]) => mac);
      if (granted.length) {
        const stamp = at.toISOString();
        await tx.insert(terminalLeases).values(granted.map((mac) => ({ mac, grantedAt: stamp, renewedAt: stamp, expiresAt, relayId: relayOf.get(mac) ?? null })));
        for (const mac of granted)
          await recordAudit(tx, serverId, at, {
            actor: relayOf.get(mac) ? `relay:${relayOf.get(mac)}` : 'system:boot',
            action: 'lease.grant',
            entity: 'lease',
            entityId: mac,
            after: { mac, expiresAt: new Date(expiresAt).toISOString(), inUse: n + granted.indexOf(mac) + 1, licensed: limit },
          });
      }
      return { outcomes, expired: gone.map((r) => r.mac), held: heldRows };
    });

    if (this.valid) {
      for (const mac of expired) this.valid.delete(mac);
      for (const row of held) this.valid.set(row.mac, row.expiresAt);
      for (const [mac, outcome] of outcomes) if (outcome === 'granted') this.valid.set(mac, expiresAt);
    }
    const refused = [...outcomes].filter(([, o]) => o === 'exhausted').length;
    if (refused) this.options.log({ level: 'warn', msg: 'terminal connections exhausted', refused, licensed: limit });
    return outcomes;
  }

  /**
   * Renews the terminal's lease if it holds a valid one, inside the caller's
   * transaction (a relay's check-in). Returns the new expiry, or null when the
   * terminal holds no valid lease. Call `renewed` after the commit.
   */
  async renewIn(tx: Tx, mac: string, relayId: string, at: Date): Promise<number | null> {
    const now = at.getTime();
    const expiresAt = leaseExpiry(now, this.options.ttlSeconds);
    const result = await tx
      .update(terminalLeases)
      .set({ expiresAt, renewedAt: at.toISOString(), relayId })
      .where(and(eq(terminalLeases.mac, mac), gt(terminalLeases.expiresAt, now)));
    return result.rowsAffected > 0 ? expiresAt : null;
  }

  renewed(mac: string, expiresAt: number): void {
    this.valid?.set(mac, expiresAt);
  }

  /** Reads one lease row (database view, and listings). */
  async find(mac: string): Promise<TerminalLease | undefined> {
    return this.options.db.orm.select().from(terminalLeases).where(eq(terminalLeases.mac, mac)).get();
  }

  async list(options: { limit: number; offset: number }): Promise<{ items: (TerminalLease & { valid: boolean })[]; total: number }> {
    const orm = this.options.db.orm;
    const now = this.options.now().getTime();
    const [rows, [{ total }]] = await Promise.all([
      orm.select().from(terminalLeases).orderBy(asc(terminalLeases.mac)).limit(options.limit).offset(options.offset).all(),
      orm.select({ total: count() }).from(terminalLeases).all(),
    ]);
    return { items: rows.map((r) => ({ ...r, valid: isLeaseValid(r, now) })), total };
  }

  /** Valid leases now, from the database. */
  async countValid(): Promise<number> {
    const now = this.options.now().getTime();
    const [{ n }] = await this.options.db.orm.select({ n: count() }).from(terminalLeases).where(gt(terminalLeases.expiresAt, now)).all();
    return n;
  }

  /** Frees a terminal's lease at once; false when it held none. */
  async revoke(mac: string, actor: string): Promise<boolean> {
    const { db, serverId } = this.options;
    const at = this.options.now();
    const removed = await db.write(async (tx) => {
      const row = await tx.select().from(terminalLeases).where(eq(terminalLeases.mac, mac)).get();
      if (!row) return false;
      await tx.delete(terminalLeases).where(eq(terminalLeases.mac, mac));
      await recordAudit(tx, serverId, at, { actor, action: 'lease.revoke', entity: 'lease', entityId: mac, before: row });
      return true;
    });
    this.valid?.delete(mac);
    return removed;
  }
}
