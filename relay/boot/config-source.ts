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

/**
 * Whether the relay offers to boot a terminal (proxyDHCP asks before it answers). A terminal
 * takes the first answer it hears, so a relay that could not serve it must stay silent and let
 * the other relay answer.
 */
export interface BootOffers {
  mayOffer(mac: string): boolean;
}

export interface OfferFacts {
  /** The relay has filled its cache from a handler, or found none to fill it from. */
  ready: boolean;
  /** The terminal's last-known-good configuration is cached. */
  holdsConfiguration: boolean;
  /** A handler counts as healthy: an unknown terminal still gets the script that explains, and shows up as pending. */
  handlerAnswers: boolean;
}

/** The rule both relays apply: ready, and something to serve the terminal from. */
export const mayOffer = (facts: OfferFacts): boolean => facts.ready && (facts.holdsConfiguration || facts.handlerAnswers);
