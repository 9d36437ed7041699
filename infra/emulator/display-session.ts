import { connect, type Socket } from 'node:net';
import type { BootDisplayClient } from '../../functions/domain/boot-document';

type Server = BootDisplayClient['terminalServers'][number];

export type SessionEvent =
  | { kind: 'lost'; client: string; server: string; next: string | null; switchMs: number | null }
  | { kind: 'unreachable'; client: string }
  | { kind: 'restored'; client: string; server: string };

/**
 * One display client's session, a TCP connection standing in for RDP: on the first terminal server
 * of its list that accepts, and on the next one when that server goes away. With instant failover
 * a second connection is held to the next server, so the switch takes no new connection; with
 * `none` the terminal keeps to the first server.
 */
export class DisplaySession {
  private active: { server: Server; socket: Socket } | null = null;
  private standby: { server: Server; socket: Socket } | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: BootDisplayClient,
    private readonly options: { localAddress: string | null; connectTimeoutMs: number; retryMs: number; onEvent: (event: SessionEvent) => void },
  ) {}

  get name(): string {
    return this.client.name;
  }

  /** Where the session runs now (and its standby), for the operator. */
  describe(): string {
    const where = (s: { server: Server } | null) => (s ? `${s.server.name} ${s.server.host}:${s.server.port}` : 'none');
    return `${this.client.name} on ${where(this.active)}${this.standby ? ` (standby ${where(this.standby)})` : ''}`;
  }

  get connected(): boolean {
    return this.active !== null;
  }

  /** Opens the session; false when no server of the list accepts (the session keeps trying). */
  async open(): Promise<boolean> {
    await this.fill(null);
    if (!this.active) this.scheduleRetry();
    return this.active !== null;
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.active?.socket.destroy();
    this.standby?.socket.destroy();
    this.active = this.standby = null;
  }

  private candidates(): Server[] {
    const servers = this.client.terminalServers;
    return this.client.failoverMode === 'none' ? servers.slice(0, 1) : servers;
  }

  /** Takes the first servers of the list that accept (after `after`, wrapping), as active and standby. */
  private async fill(after: Server | null): Promise<void> {
    const servers = this.candidates();
    const start = after ? servers.findIndex((s) => s.id === after.id) + 1 : 0;
    const order = servers.map((_, i) => servers[(start + i) % servers.length]);
    const wanted = this.client.failoverMode === 'instant-failover' ? 2 : 1;
    for (const server of order) {
      if (this.closed || [this.active, this.standby].filter(Boolean).length >= wanted) return;
      if (this.active?.server.id === server.id || this.standby?.server.id === server.id) continue;
      const socket = await this.connectTo(server);
      if (!socket || this.closed) {
        socket?.destroy();
        continue;
      }
      const held = { server, socket };
      socket.on('close', () => this.lost(held));
      if (!this.active) this.active = held;
      else this.standby = held;
    }
  }

  private lost(held: { server: Server; socket: Socket }): void {
    if (this.closed) return;
    if (this.standby === held) {
      this.standby = null;
      void this.fill(this.active?.server ?? null);
      return;
    }
    if (this.active !== held) return;
    const started = performance.now();
    this.active = this.standby;
    this.standby = null;
    void (async () => {
      if (!this.active) await this.fill(held.server);
      else void this.fill(this.active.server);
      const next = this.active as { server: Server } | null; // fill() may have set it
      this.options.onEvent({
        kind: 'lost',
        client: this.client.name,
        server: `${held.server.name} ${held.server.host}:${held.server.port}`,
        next: next ? `${next.server.name} ${next.server.host}:${next.server.port}` : null,
        switchMs: next ? performance.now() - started : null,
      });
      if (!this.active) this.scheduleRetry(false);
    })();
  }

  /** Tries the list again every retryMs while no server accepts (one timer, cleared by close). */
  private scheduleRetry(announce = true): void {
    if (this.closed || this.retry) return;
    if (announce) this.options.onEvent({ kind: 'unreachable', client: this.client.name });
    this.retry = setTimeout(async () => {
      this.retry = null;
      await this.fill(null);
      if (this.active) this.options.onEvent({ kind: 'restored', client: this.client.name, server: `${this.active.server.name} ${this.active.server.host}:${this.active.server.port}` });
      else this.scheduleRetry(false);
    }, this.options.retryMs);
    this.retry.unref();
  }

  private connectTo(server: Server): Promise<Socket | null> {
    return new Promise((resolve) => {
      const socket = connect({ host: server.host, port: server.port, localAddress: this.options.localAddress ?? undefined });
      socket.setTimeout(this.options.connectTimeoutMs, () => socket.destroy());
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        resolve(socket);
      });
      socket.once('error', () => resolve(null));
      socket.once('close', () => resolve(null));
    });
  }
}
