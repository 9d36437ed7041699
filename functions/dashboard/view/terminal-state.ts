/**
 * What a terminal is doing, as this server's check-ins show it. A relay checks a terminal in when
 * it serves its configuration; the check-in renews the terminal's licence lease here.
 *
 * - never booted: configured, no check-in here yet;
 * - failing: its last boot came from a relay's cache (no handler answered the relay), or it holds
 *   no valid lease here (the licence refused it);
 * - booting: checked in within the last few minutes;
 * - running: checked in before that, lease held.
 *
 * `read/terminal-states.ts` asks the database the same question for a whole list.
 */
export const terminalStates = ['never-booted', 'booting', 'running', 'failing'] as const;
export type TerminalState = (typeof terminalStates)[number];

/** A boot counts as under way this long after its check-in. */
export const BOOT_WINDOW_MS = 5 * 60_000;

export interface StateInputs {
  lastBootAt: string | null;
  source: 'live' | 'cache' | null;
  /** Epoch milliseconds; null without a lease here. */
  leaseExpiresAt: number | null;
}

export function terminalState(t: StateInputs, now: number): TerminalState {
  if (!t.lastBootAt) return 'never-booted';
  if (t.source === 'cache' || t.leaseExpiresAt === null || t.leaseExpiresAt <= now) return 'failing';
  if (now - Date.parse(t.lastBootAt) < BOOT_WINDOW_MS) return 'booting';
  return 'running';
}

/** Why a terminal is in its state, in a sentence for its page. */
export function stateReason(t: StateInputs, now: number): string {
  switch (terminalState(t, now)) {
    case 'never-booted':
      return 'No relay has checked this terminal in on this server.';
    case 'failing':
      return t.source === 'cache'
        ? 'Its last boot was served from a relay’s cache: the relay could not reach a handler.'
        : 'It holds no valid licence lease on this server: the licence refused it, or the lease expired.';
    case 'booting':
      return 'A relay served its configuration in the last few minutes.';
    case 'running':
      return 'It booted and holds its licence lease.';
  }
}

export const stateLabel: Record<TerminalState, string> = { 'never-booted': 'never booted', booting: 'booting', running: 'running', failing: 'failing' };

export const isTerminalState = (value: string): value is TerminalState => (terminalStates as readonly string[]).includes(value);
