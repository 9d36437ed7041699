import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { resolvedConfigs, terminalLeases } from '../../db/schema';
import type { LeaseView } from '../deps';

export interface StoredBootDocument {
  document: string;
  configVersion: string;
  /** Read with the document where no lease view is kept in memory: the terminal's lease, if any. */
  leaseExpiresAt?: number | null;
}

/** Enough for the largest plant; past it the oldest entries go, and are read again when asked for. */
const MAX_ENTRIES = 50_000;

/**
 * The stored boot documents, read by MAC.
 *
 * A process that is its database's only writer (`process` view, Node) keeps them in memory: a
 * leased terminal's boot then costs no database read. Every committed write that touches stored
 * documents (`boot-documents`) drops the copies; a read that began before such a commit is
 * answered but not kept, so a copy is never older than the database.
 *
 * Without a view in memory (Workers, a shared libSQL server) one read brings the document and
 * the terminal's lease.
 */
export class BootDocuments {
  private readonly copies = new Map<string, StoredBootDocument>();
  private generation = 0;
  private readonly byMac;
  private readonly withLeaseByMac;

  constructor(
    private readonly db: Database,
    private readonly view: LeaseView,
  ) {
    this.byMac = db.orm
      .select({ document: resolvedConfigs.document, configVersion: resolvedConfigs.configVersion })
      .from(resolvedConfigs)
      .where(eq(resolvedConfigs.mac, sql.placeholder('mac')))
      .prepare();
    this.withLeaseByMac = db.orm
      .select({ document: resolvedConfigs.document, configVersion: resolvedConfigs.configVersion, leaseExpiresAt: terminalLeases.expiresAt })
      .from(resolvedConfigs)
      .leftJoin(terminalLeases, eq(terminalLeases.mac, resolvedConfigs.mac))
      .where(eq(resolvedConfigs.mac, sql.placeholder('mac')))
      .prepare();
    if (view === 'process') db.onCommitted('boot-documents', () => this.forget());
  }

  /** The stored document of a normalised MAC, or null when the terminal is not configured. */
  async read(mac: string): Promise<StoredBootDocument | null> {
    if (this.view === 'database') return (await this.withLeaseByMac.get({ mac })) ?? null;
    const copy = this.copies.get(mac);
    if (copy) return copy;
    const generation = this.generation;
    const row = (await this.byMac.get({ mac })) ?? null;
    if (row && generation === this.generation) {
      if (this.copies.size >= MAX_ENTRIES) this.copies.delete(this.copies.keys().next().value!);
      this.copies.set(mac, row);
    }
    return row;
  }

  /** Whether the terminal is configured, read from the database. */
  async exists(mac: string): Promise<boolean> {
    return Boolean(await this.db.orm.select({ mac: resolvedConfigs.mac }).from(resolvedConfigs).where(eq(resolvedConfigs.mac, mac)).get());
  }

  /** Documents held in memory (for tests and metrics). */
  get size(): number {
    return this.copies.size;
  }

  private forget(): void {
    this.generation++;
    this.copies.clear();
  }
}
