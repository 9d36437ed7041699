import { formatHlc } from '../../functions/domain/hlc';
import type { WireChange } from '../../functions/sync/wire';

/** A terminal's stored state as a change from the peer carries it. */
export const terminalState = (id: string, mac: string, name: string, at = '2026-01-01T00:00:00.000Z', extra: Record<string, unknown> = {}) => ({
  id,
  version: 1,
  createdAt: at,
  updatedAt: at,
  mac,
  name,
  groupId: null,
  hardwareModel: null,
  videoResolution: null,
  firmwarePackageId: null,
  displayClientIds: null,
  options: null,
  ...extra,
});

let seq = 0;
/**
 * A change as a peer named "elsewhere" would send it: a create with `after`, a delete without.
 * Its clock stamp is `wall` plus a count, so that each change is later than the one before.
 */
export const wireChange = (entity: string, after: Record<string, unknown> | null, options: { recordId?: string; wall?: number } = {}): WireChange => {
  const wall = (options.wall ?? 1_790_000_000_000) + ++seq;
  return {
    seq,
    changeId: crypto.randomUUID(),
    entity,
    recordId: options.recordId ?? String(after?.id),
    operation: after ? 'create' : 'delete',
    before: null,
    after,
    hlc: formatHlc({ wall, counter: 0, node: 'elsewhere' }),
    origin: 'elsewhere',
    baseChangeId: null,
    actor: 'admin:test',
    at: new Date(wall).toISOString(),
    revertOf: null,
  };
};
