import { compareHlc, parseHlc } from './hlc';

/**
 * The synchronisation merge rule, the same on both servers of a pair.
 *
 * Each record is a last-writer-wins register: of all the changes made to it, on
 * either server, the one with the latest hybrid-logical-clock stamp is in effect,
 * ties broken by origin server id, then by change id. Because the order is total
 * and both servers compare the same stamps, both end with the same winner
 * whichever order changes arrive in.
 *
 * A change names the change its record was at when it was made (its base). An
 * arriving change whose base is not the change the record is at here was made
 * without knowing of that one: the same record changed on both sides since they
 * last synchronised, which is reported as a conflict.
 */
export interface ChangeStamp {
  hlc: string;
  origin: string;
  changeId: string;
}

export interface RecordHeadStamp extends ChangeStamp {
  deleted: boolean;
}

export interface IncomingStamp extends ChangeStamp {
  baseChangeId: string | null;
}

export function compareChanges(a: ChangeStamp, b: ChangeStamp): number {
  const byClock = compareHlc(parseHlc(a.hlc), parseHlc(b.hlc));
  if (byClock !== 0) return byClock;
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  return a.changeId < b.changeId ? -1 : a.changeId > b.changeId ? 1 : 0;
}

export type MergeDecision =
  /** The change is the one the record is already at: nothing to do. */
  | { kind: 'duplicate' }
  /** The record here is at the change's base (or unknown here): apply it. */
  | { kind: 'fast-forward' }
  /** Both sides changed the record: `winner` is in effect on both servers. */
  | { kind: 'conflict'; winner: 'incoming' | 'local' };

export function decideIncoming(head: RecordHeadStamp | null, incoming: IncomingStamp): MergeDecision {
  if (!head) return { kind: 'fast-forward' };
  if (head.changeId === incoming.changeId) return { kind: 'duplicate' };
  // Made on top of the change the record is at here: the origin holds it now, so
  // must this server (its stamp is later anyway: the clock merges on every pull).
  if (incoming.baseChangeId === head.changeId) return { kind: 'fast-forward' };
  return { kind: 'conflict', winner: compareChanges(incoming, head) > 0 ? 'incoming' : 'local' };
}

/** True when the merge applies the incoming change's state. */
export const appliesIncoming = (d: MergeDecision) => d.kind === 'fast-forward' || (d.kind === 'conflict' && d.winner === 'incoming');

/** A record as the uniqueness rule sees it. */
export interface UniqueClaimant {
  id: string;
  createdAt: string;
}

/**
 * Two different records claim the same unique value (a MAC, a name), created on
 * both servers while they could not reach each other. The record created first
 * keeps it (then the smaller id): both servers know both records' creation time
 * and id, so both keep the same one. The other is removed on both servers and
 * reported with its full state, so that an admin can re-create it under another
 * value.
 */
export function uniqueKeeper<T extends UniqueClaimant>(a: T, b: T): T {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? a : b;
  return a.id <= b.id ? a : b;
}

/** The key both servers give the conflict between two changes. */
export function conflictPairKey(kind: string, a: string, b: string): string {
  return a < b ? `${kind}:${a}:${b}` : `${kind}:${b}:${a}`;
}
