import { ConfigError, type ConfigErrorCode } from './config-source';
import type { OpenFailure } from './served-file';

/** How the relay answers a terminal that gets no configuration, over any protocol. */
export interface ConfigRefusal {
  /** The HTTP status, the one the handlers gave (or would give). */
  status: number;
  code: ConfigErrorCode;
  /** Title of the HTTP problem document. */
  title: string;
  detail: string;
  /** Set when asking again later may succeed: no handler answered and nothing is cached. */
  retryAfterSeconds: number | null;
  /** The same refusal as a file that cannot be opened: config/{mac}.json over TFTP and HTTP. */
  fileReason: OpenFailure['reason'];
}

const TITLES: Record<ConfigErrorCode, string> = {
  invalid_mac: 'Not a MAC address',
  unknown_terminal: 'Unknown terminal',
  license_exhausted: 'No terminal licence available',
  no_configuration: 'No configuration available',
};

/**
 * The one mapping from the configuration seam's refusals to answers, so that HTTP, iPXE scripts
 * and served files agree. Anything but a ConfigError is a fault, not a refusal: it is thrown again.
 */
export function configRefusal(error: unknown): ConfigRefusal {
  if (!(error instanceof ConfigError)) throw error;
  const unavailable = error.status === 503;
  return {
    status: error.status,
    code: error.code,
    title: TITLES[error.code],
    detail: error.message,
    retryAfterSeconds: unavailable ? 10 : null,
    fileReason: unavailable ? 'unavailable' : error.status === 403 ? 'forbidden' : 'not_found',
  };
}
