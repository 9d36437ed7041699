import type { AppDeps } from '../http/context';
import type { RedundancyMode } from '../domain/license';
import { redundancyMode } from '../services/license';

export type SyncDeps = AppDeps;

/** The redundancy mode synchronisation follows: the licence's (`demo` without one). The one place that asks. */
export function syncModeFor(deps: SyncDeps): Promise<RedundancyMode> {
  return redundancyMode(deps);
}
