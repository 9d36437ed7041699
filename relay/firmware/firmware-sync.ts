import type { BootFirmware } from '../../functions/domain/boot-document';
import type { Logger } from '../observe/log';
import type { FirmwareStore } from './firmware-store';

/** Each firmware record once (many terminals name the same object and version). */
export function distinctFirmware(records: Iterable<BootFirmware | null | undefined>): BootFirmware[] {
  const byKey = new Map<string, BootFirmware>();
  for (const record of records) if (record) byKey.set(`${record.objectKey}\0${record.sha256}`, record);
  return [...byKey.values()];
}

/**
 * Keeps the verified firmware in step with the cached configurations: what they name is
 * downloaded and verified, then what none of them names any more is deleted. One run at a time;
 * a run asked for during another starts once that one ends.
 */
export class FirmwareSync {
  private running: Promise<void> | null = null;
  private again: Promise<void> | null = null;

  constructor(
    private readonly store: FirmwareStore,
    /** The firmware every cached configuration names, read from disk; `unreadable` files stop the deletion. */
    private readonly named: () => Promise<{ firmware: BootFirmware[]; unreadable: number }>,
    private readonly log: Logger,
  ) {}

  /** Verifies these records (each distinct one once, at the same time); settles when all have. */
  async ensure(records: Iterable<BootFirmware | null | undefined>): Promise<void> {
    await Promise.all(distinctFirmware(records).map((record) => this.store.ensure(record)));
  }

  /** Syncs the firmware of every cached configuration, then deletes what none of them names. */
  syncAndSweep(): Promise<void> {
    if (!this.running) {
      this.running = this.run().finally(() => (this.running = null));
      return this.running;
    }
    this.again ??= this.running.then(() => {
      this.again = null;
      return this.syncAndSweep();
    });
    return this.again;
  }

  private async run(): Promise<void> {
    try {
      const { firmware, unreadable } = await this.named();
      await this.ensure(firmware);
      // A configuration that cannot be read might name firmware still in use: delete nothing then.
      if (unreadable) this.log.warn('firmware_sweep_skipped', { unreadableConfigurations: unreadable });
      else await this.store.sweep(firmware);
    } catch (error) {
      this.log.error('firmware_sync_failed', { error });
    }
  }
}
