import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { resolvedConfigs } from '../../db/schema';

export interface StoredBootDocument {
  document: string;
  configVersion: string;
}

/** Enough for the largest plant; past it the oldest entries go, and are read again when asked for. */
const MAX_ENTRIES = 50_000;

/**
 * The stored boot documents, read by MAC, kept in memory by a process that is
 * its database's only writer (Node): a leased terminal's boot then costs no
 * database read. Every committed write that touches stored documents
 * (`boot-documents`) drops the copies; a read that began before such a commit
 * is answered but not kept, so a copy is never older than the database.
 */
export class BootDocuments {
  private readonly copies = new Map<string, StoredBootDocument>();
  private generation = 0;
  private readonly byMac;

  constructor(private readonly db: Database) {
    this.byMac = db.orm
      .select({ document: resolvedConfigs.document, configVersion: resolvedConfigs.configVersion })
      .from(resolvedConfigs)
      .where(eq(resolvedConfigs.mac, sql.placeholder('mac')))
      .prepare();
    db.onCommitted('boot-documents', () => this.forget());
  }

  /** The stored document of a normalised MAC, or null when the terminal is not configured. */
  async read(mac: string): Promise<StoredBootDocument | null> {
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

  /** Documents held in memory (for tests and metrics). */
  get size(): number {
    return this.copies.size;
  }

  private forget(): void {
    this.generation++;
    this.copies.clear();
  }
}

const instances = new WeakMap<Database, BootDocuments>();

/** The one view per database in this process. */
export function bootDocumentsOf(db: Database): BootDocuments {
  let view = instances.get(db);
  if (!view) instances.set(db, (view = new BootDocuments(db)));
  return view;
}
