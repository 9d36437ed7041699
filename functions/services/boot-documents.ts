import { asc, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { bootDocumentFeed, resolvedConfigs, terminalLeases } from '../../db/schema';
import type { LeaseView } from '../deps';

export interface StoredBootDocument {
  document: string;
  configVersion: string;
  /** Read with the document where no lease view is kept in memory: the terminal's lease, if any. */
  leaseExpiresAt?: number | null;
}

/** What changed in the relays' feed after a position: documents as stored (JSON text), removed MACs. */
export interface FeedChanges {
  /** The last position this answer covers (the position asked for when nothing changed). */
  seq: number;
  documents: string[];
  removed: string[];
  more: boolean;
}

/** Enough for the largest plant; past it the oldest entries go, and are read again when asked for. */
const MAX_ENTRIES = 50_000;

/**
 * The stored boot documents, read by MAC, and by their place in the relays' feed.
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
  private readonly feedAfter;
  /** The feed's last position, known in memory (process view) until a write changes documents. */
  private head: number | null = null;

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
    this.feedAfter = db.orm
      .select({ seq: bootDocumentFeed.seq, mac: bootDocumentFeed.mac, removed: bootDocumentFeed.removed, document: resolvedConfigs.document })
      .from(bootDocumentFeed)
      .leftJoin(resolvedConfigs, eq(resolvedConfigs.mac, bootDocumentFeed.mac))
      .where(gt(bootDocumentFeed.seq, sql.placeholder('after')))
      .orderBy(asc(bootDocumentFeed.seq))
      .limit(sql.placeholder('limit'))
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

  /**
   * The feed's last position: from memory in the process view (a poll that finds nothing new
   * then costs no database read), else one read of the position index's last entry.
   */
  async feedHead(): Promise<number> {
    if (this.head !== null) return this.head;
    const generation = this.generation;
    const head = (await this.db.orm.select({ head: sql<number | null>`max(${bootDocumentFeed.seq})` }).from(bootDocumentFeed).get())?.head ?? 0;
    if (this.view === 'process' && generation === this.generation) this.head = head;
    return head;
  }

  /** Documents stored and removed after position `after`, in the order they changed, `limit` at most. */
  async feedChanges(after: number, limit: number): Promise<FeedChanges> {
    if ((await this.feedHead()) <= after) return { seq: after, documents: [], removed: [], more: false };
    const rows = await this.feedAfter.all({ after, limit });
    const documents: string[] = [];
    const removed: string[] = [];
    for (const row of rows) {
      if (row.removed || row.document === null) removed.push(row.mac);
      else documents.push(row.document);
    }
    return { seq: rows.at(-1)?.seq ?? after, documents, removed, more: rows.length === limit };
  }

  /** Documents held in memory (for tests and metrics). */
  get size(): number {
    return this.copies.size;
  }

  private forget(): void {
    this.generation++;
    this.copies.clear();
    this.head = null;
  }
}
