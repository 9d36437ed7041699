/** The redundancy modes of the licence (ARCHITECTURE.md); `demo` is a deployment without one. */
export type RedundancyMode = 'demo' | 'none' | 'mirrored' | 'full';
export const redundancyModes = ['demo', 'none', 'mirrored', 'full'] as const;

export interface SyncDirection {
  /** This server pulls the peer's changes. */
  pulls: boolean;
  /** The peer pulls this server's changes, so it is poked after each write here. */
  serves: boolean;
  /** Why a direction is closed, for status and refusals. */
  reason: string;
}

/** Whether a server answers the sync API at all: in either redundant mode (in mirrored mode nobody pulls from the secondary, which is harmless). */
export const answersPeers = (mode: RedundancyMode) => mode === 'mirrored' || mode === 'full';

/**
 * Which way changes flow for a server: none in a single-server mode, primary to
 * secondary when mirrored, both ways in full redundancy.
 */
export function syncDirection(mode: RedundancyMode, role: 'primary' | 'secondary'): SyncDirection {
  switch (mode) {
    case 'full':
      return { pulls: true, serves: true, reason: 'full redundancy: both servers pull from each other' };
    case 'mirrored':
      return role === 'primary'
        ? { pulls: false, serves: true, reason: 'mirrored redundancy: the primary is the source; the secondary pulls from it' }
        : { pulls: true, serves: false, reason: 'mirrored redundancy: the secondary follows the primary and is not a source' };
    default:
      return { pulls: false, serves: false, reason: `redundancy mode "${mode}" has a single server: no synchronisation` };
  }
}
