import type { RedundancyMode } from './license';

export interface SyncDirection {
  /** This server pulls the peer's changes. */
  pulls: boolean;
  /** The peer pulls this server's changes, so it is poked after each write here. */
  serves: boolean;
  /** Why changes flow the way they do, for status and refusals. */
  reason: string;
}

/** Whether a server answers the sync API at all (in mirrored mode nobody pulls from the secondary, which is harmless). */
export const answersPeers = (mode: RedundancyMode) => mode !== 'none';

/**
 * Which way changes flow for a server of a pair: none when the licence is for a
 * single server, primary to secondary when mirrored, both ways in full
 * redundancy. Without a licence yet (demo) both ways, so that a licence installed
 * on either server reaches the other (a demo secondary serves no terminals, so
 * this lends no redundancy).
 */
export function syncDirection(mode: RedundancyMode, role: 'primary' | 'secondary'): SyncDirection {
  switch (mode) {
    case 'full':
      return { pulls: true, serves: true, reason: 'full redundancy: both servers pull from each other' };
    case 'mirrored':
      return role === 'primary'
        ? { pulls: false, serves: true, reason: 'mirrored redundancy: the primary is the source; the secondary pulls from it' }
        : { pulls: true, serves: false, reason: 'mirrored redundancy: the secondary follows the primary and is not a source' };
    case 'demo':
      return { pulls: true, serves: true, reason: 'no licence installed yet: both servers pull, so that a licence installed on either reaches the other' };
    default:
      return { pulls: false, serves: false, reason: 'the licence is for a single server (redundancy none): no synchronisation' };
  }
}
