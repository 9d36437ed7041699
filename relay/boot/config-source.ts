import type { BootDocument } from '../../functions/domain/boot-document';

/** A terminal's configuration as the relay serves it. */
export interface BootConfig {
  document: BootDocument;
  etag: string;
  /** live: a handler confirmed it for this request; cache: no handler answered, last-known-good. */
  source: 'live' | 'cache';
  handler: string;
  fetchedAt: string;
}

/** Where terminal configurations come from. The protocol servers only see this, never who implements it. */
export interface ConfigSource {
  getConfig(mac: string): Promise<BootConfig>;
}

export type ConfigErrorCode = 'invalid_mac' | 'unknown_terminal' | 'license_exhausted' | 'no_configuration';

/** Why a terminal gets no configuration; configRefusal() says how the protocol servers answer it. */
export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
