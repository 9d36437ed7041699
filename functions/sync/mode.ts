import type { AppDeps } from '../http/context';
import type { RedundancyMode } from '../domain/sync-direction';

export type SyncDeps = Pick<AppDeps, 'db' | 'serverId' | 'role' | 'now' | 'log' | 'peer' | 'syncModeOverride' | 'syncBatchSize'>;

/**
 * The redundancy mode synchronisation follows. The one place that asks: for now
 * the TANDEM_SYNC_MODE override (single server when unset); the licence decides
 * once licensing is in.
 */
export async function syncModeFor(deps: SyncDeps): Promise<RedundancyMode> {
  return deps.syncModeOverride ?? 'none';
}
