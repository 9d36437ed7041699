import type { BootReport } from './boot-report';
import { EmulatedTerminal, type TerminalEnvironment } from './terminal';

export interface FleetProgress {
  terminals: number;
  booting: number;
  booted: number;
  failed: number;
  waiting: number;
}

/**
 * Many emulated terminals in one process: at most `concurrency` boot at once (the others wait
 * their turn, as terminals powered on in waves do), each reported as it finishes.
 */
export class Fleet {
  readonly terminals: EmulatedTerminal[];
  private readonly reports = new Map<string, BootReport>();
  private booting = 0;
  private waiting = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    macs: string[],
    addresses: Array<string | null>,
    env: TerminalEnvironment,
    private readonly options: { concurrency: number; onReport: (report: BootReport) => void },
  ) {
    this.terminals = macs.map((mac, i) => new EmulatedTerminal(mac, addresses[i], env));
  }

  progress(): FleetProgress {
    const reports = [...this.reports.values()];
    const booted = reports.filter((r) => r.ok).length;
    return { terminals: this.terminals.length, booting: this.booting, booted, failed: reports.length - booted, waiting: this.waiting };
  }

  /** Boots the given terminals (all by default) and resolves with their reports once each has one. */
  async boot(terminals = this.terminals): Promise<BootReport[]> {
    for (const t of terminals) this.reports.delete(t.mac);
    return Promise.all(terminals.map((t) => this.bootOne(t)));
  }

  find(mac: string): EmulatedTerminal | undefined {
    return this.terminals.find((t) => t.mac === mac);
  }

  powerOff(): void {
    for (const t of this.terminals) t.powerOff();
  }

  private async bootOne(terminal: EmulatedTerminal): Promise<BootReport> {
    await this.slot();
    try {
      const report = await terminal.boot();
      this.reports.set(terminal.mac, report);
      this.options.onReport(report);
      return report;
    } finally {
      // The slot passes straight to a waiting terminal, or is freed.
      const next = this.queue.shift();
      if (next) next();
      else this.booting--;
    }
  }

  /** Takes a free boot slot, or waits for one to be handed over. */
  private async slot(): Promise<void> {
    if (this.booting < this.options.concurrency) {
      this.booting++;
      return;
    }
    this.waiting++;
    await new Promise<void>((resolve) => this.queue.push(resolve));
    this.waiting--;
  }
}
