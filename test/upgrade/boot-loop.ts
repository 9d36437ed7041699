import { waitFor } from '../../infra/local/processes';
import type { DrillSite } from '../drills/site';
import { bootOnce } from '../drills/terminal';

/** One boot of the loop: the step it started in, and what it came to. */
export interface LoopBoot {
  mac: string;
  step: string;
  /** The machines that were stopped when it started and still were when it ended. */
  down: string[];
  ok: boolean;
  relay: string | null;
  /** Where its configuration came from (live from a handler, or a relay's last-known-good), or why it failed. */
  outcome: 'live' | 'cache' | string;
}

/** A terminal rests this long between two boots, so that the loop leaves the two cores to the site. */
const PAUSE_MS = 250;
/** Bounds the loop whatever happens (about an hour of boots per terminal). */
const MAX_BOOTS_PER_TERMINAL = 10_000;

/**
 * Terminals booting in a loop through the site's relays (the emulator's thin client, one boot
 * per attempt, proxyDHCP to both relays at once as a broadcast reaches both), while a drill
 * walks the site through steps: every boot is counted under the step it started in, with the
 * machines that were down the whole time it ran.
 */
export class BootLoop {
  readonly boots: LoopBoot[] = [];
  readonly steps: string[] = [];
  private readonly down = new Set<string>();
  private running: Promise<void>[] = [];
  private stopping = false;

  constructor(
    private readonly site: DrillSite,
    private readonly macs: string[],
  ) {}

  get step(): string {
    return this.steps.at(-1) ?? '';
  }

  /** Boots counted from now on belong to `step`. */
  enter(step: string): void {
    this.steps.push(step);
  }

  start(): void {
    this.running = this.macs.map((mac) => this.bootRepeatedly(mac));
  }

  /** A machine is stopped (`down`) or serving again. */
  mark(machine: string, state: 'down' | 'up'): void {
    if (state === 'down') this.down.add(machine);
    else this.down.delete(machine);
  }

  bootsIn(step: string): LoopBoot[] {
    return this.boots.filter((b) => b.step === step);
  }

  failures(): LoopBoot[] {
    return this.boots.filter((b) => !b.ok);
  }

  /** Waits until `count` boots that started in the current step have ended. */
  async bootsDuringStep(count: number, timeoutMs = 120_000): Promise<void> {
    const step = this.step;
    await waitFor(async () => this.bootsIn(step).length >= count, () => `${count} boots during "${step}" (${this.bootsIn(step).length} so far)`, timeoutMs);
  }

  /** Waits until `count` boots have run from start to end while `machine` was down. */
  async bootsWhileDown(machine: string, count: number, timeoutMs = 120_000): Promise<LoopBoot[]> {
    const during = () => this.boots.filter((b) => b.down.includes(machine));
    await waitFor(async () => during().length >= count, () => `${count} boots while ${machine} is down (${during().length} so far)`, timeoutMs);
    return during();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  /** Boots, failures and how each step's terminals booted, one row a step. */
  table(): string {
    const rows = this.steps.map((step) => {
      const boots = this.bootsIn(step);
      const count = (accept: (b: LoopBoot) => boolean) => String(boots.filter(accept).length);
      return [step, String(boots.length), count((b) => !b.ok), count((b) => b.relay === 'relay-a'), count((b) => b.relay === 'relay-b'), count((b) => b.outcome === 'live'), count((b) => b.outcome === 'cache')];
    });
    const header = ['step', 'boots', 'failed', 'via relay-a', 'via relay-b', 'live', 'last-known-good'];
    const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
    const failed = this.failures().map((b) => `- ${b.mac} in "${b.step}": ${b.outcome}${b.relay ? ` (via ${b.relay})` : ''}`);
    return ['Rolling-upgrade drill: boots per step', '', ...lines, '', `${this.boots.length} boots, ${failed.length} failed`, ...failed].join('\n');
  }

  private async bootRepeatedly(mac: string): Promise<void> {
    for (let n = 0; !this.stopping && n < MAX_BOOTS_PER_TERMINAL; n++) {
      const step = this.step;
      const downAtStart = [...this.down];
      const result = await bootOnce(mac, this.site.dhcp, this.site.relays).catch((error: unknown) => ({
        booted: false as const,
        relay: null,
        code: `the emulator threw: ${(error as Error).message}`,
      }));
      this.boots.push({
        mac,
        step,
        down: downAtStart.filter((machine) => this.down.has(machine)),
        ok: result.booted,
        relay: result.relay,
        outcome: result.booted ? result.source : result.code,
      });
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  }
}
