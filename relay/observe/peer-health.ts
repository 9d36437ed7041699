import type { Gauge, Metrics } from './metrics';

export interface PeerState {
  url: string;
  /** null until the first probe has ended. */
  answers: boolean | null;
  lastError: string | null;
  checkedAt: string | null;
}

/**
 * Whether each peer relay (RELAY_PEERS) answers its /healthz: the boot scripts name the peers
 * whatever this says (iPXE tries each in turn), so it is for the operator, in /healthz and
 * `relay_peer_up`.
 */
export class PeerHealth {
  private readonly states: PeerState[];
  private readonly up: Gauge;
  private timer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(
    peers: string[],
    private readonly options: { intervalMs: number; timeoutMs: number },
    metrics: Metrics,
  ) {
    this.states = peers.map((url) => ({ url, answers: null, lastError: null, checkedAt: null }));
    this.up = metrics.gauge('relay_peer_up', 'Whether a peer relay answers its /healthz (1) or not (0).', 'max');
  }

  start(): void {
    if (this.states.length === 0 || this.timer) return;
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  snapshot(): PeerState[] {
    return this.states.map((state) => ({ ...state }));
  }

  private async probeAll(): Promise<void> {
    // A probe slower than the interval is not doubled up.
    if (this.probing) return;
    this.probing = true;
    await Promise.all(this.states.map((state) => this.probe(state)));
    this.probing = false;
  }

  private async probe(state: PeerState): Promise<void> {
    try {
      const res = await fetch(`${state.url}/healthz`, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      await res.arrayBuffer();
      state.answers = res.ok;
      state.lastError = res.ok ? null : `HTTP ${res.status}`;
    } catch (error) {
      state.answers = false;
      const cause = (error as { cause?: { code?: string } }).cause;
      state.lastError = cause?.code ?? (error as Error).name ?? String(error);
    }
    state.checkedAt = new Date().toISOString();
    this.up.set({ peer: state.url }, state.answers ? 1 : 0);
  }
}
