import type { BootDocument } from '../functions/domain/boot-document';
import type { BootConfig, ConfigSource } from './boot/config-source';
import type { FirmwareStore, VerifiedFirmware } from './firmware/firmware-store';
import type { Logger } from './observe/log';
import type { CheckinReporter } from './upstream/checkin-reporter';

export interface TerminalBootInfo extends BootConfig {
  /** The firmware the relay serves this terminal: verified, possibly older than the record. */
  firmware: VerifiedFirmware | null;
}

/**
 * One terminal's boot as the protocol servers see it: its configuration (from wherever the
 * ConfigSource gets it), the verified firmware for it, and a check-in to the handlers.
 */
export class TerminalBoot {
  constructor(
    private readonly configs: ConfigSource,
    private readonly firmware: FirmwareStore,
    private readonly checkins: CheckinReporter | null,
    private readonly log: Logger,
    private readonly firmwareWaitMs: number,
  ) {}

  /** Configuration only (GET /config/{mac}, TFTP config/{mac}.json). */
  async config(mac: string): Promise<TerminalBootInfo> {
    const config = await this.configs.getConfig(mac);
    const firmware = config.document.firmware ? await this.firmware.verified(config.document.firmware.objectKey) : null;
    this.checkin(config, firmware);
    return { ...config, firmware };
  }

  /** Configuration plus firmware synced (within a bounded wait), for boot scripts. */
  async withFirmware(mac: string): Promise<TerminalBootInfo> {
    const config = await this.configs.getConfig(mac);
    const firmware = await this.syncedFirmware(config.document);
    this.checkin(config, firmware);
    return { ...config, firmware };
  }

  private async syncedFirmware(document: BootDocument): Promise<VerifiedFirmware | null> {
    const record = document.firmware;
    if (!record) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.firmwareWaitMs);
    });
    const synced = await Promise.race([this.firmware.ensure(record), timeout]).finally(() => clearTimeout(timer));
    if (synced) return synced;
    this.log.warn('firmware_not_ready', { objectKey: record.objectKey, version: record.version });
    return this.firmware.verified(record.objectKey);
  }

  private checkin(config: BootConfig, firmware: VerifiedFirmware | null): void {
    this.checkins?.report({ mac: config.document.mac, firmwareVersion: firmware?.version ?? null, source: config.source });
  }
}
