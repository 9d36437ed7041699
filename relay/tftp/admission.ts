/**
 * Which read requests get a transfer, when the relay holds many. Pure: it is told about the
 * transfers it admitted and answers for the next request.
 *
 * UDP sources can be spoofed, and a spoofed source never acknowledges anything. So a source may
 * hold only so many transfers, and when every slot is taken a source with none in flight may take
 * the place of the oldest transfer whose client has acknowledged nothing yet: a flood that never
 * answers cannot keep real terminals out.
 */
export interface AdmissionLimits {
  /** Transfers at once in this process. */
  maxTransfers: number;
  /** Transfers at once from one source address. */
  maxPerSource: number;
}

/** A transfer as admission sees it. */
export interface AdmittedTransfer {
  readonly source: string;
  /** Its client has acknowledged something (so its source is real). */
  acknowledged: boolean;
}

export type Admission<T> =
  | { admit: true; evict: T | null }
  /** source_cap: the source holds its share already; transfer_cap: every slot is taken by transfers that answer. */
  | { admit: false; reason: 'source_cap' | 'transfer_cap' };

export class AdmissionPolicy<T extends AdmittedTransfer> {
  /** In the order they were admitted: the oldest first. */
  private readonly held = new Set<T>();
  private readonly perSource = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  get size(): number {
    return this.held.size;
  }

  /** Whether a request from source gets a transfer, and which transfer must end to make room for it. */
  decide(source: string): Admission<T> {
    const fromSource = this.perSource.get(source) ?? 0;
    if (fromSource >= this.limits.maxPerSource) return { admit: false, reason: 'source_cap' };
    if (this.held.size < this.limits.maxTransfers) return { admit: true, evict: null };
    if (fromSource > 0) return { admit: false, reason: 'transfer_cap' };
    for (const transfer of this.held) if (!transfer.acknowledged) return { admit: true, evict: transfer };
    return { admit: false, reason: 'transfer_cap' };
  }

  add(transfer: T): void {
    if (this.held.has(transfer)) return;
    this.held.add(transfer);
    this.perSource.set(transfer.source, (this.perSource.get(transfer.source) ?? 0) + 1);
  }

  /** Idempotent: a transfer evicted is removed at once, and again when it ends. */
  remove(transfer: T): void {
    if (!this.held.delete(transfer)) return;
    const left = this.perSource.get(transfer.source)! - 1;
    if (left === 0) this.perSource.delete(transfer.source);
    else this.perSource.set(transfer.source, left);
  }
}
