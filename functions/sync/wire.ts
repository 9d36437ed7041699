import { z } from '@hono/zod-openapi';
import { changeOperations, changeStatuses } from '../../db/enums';

/** One change as it travels between the servers of a pair. */
export const wireChange = z.object({
  seq: z.number().int(),
  changeId: z.string().min(1),
  entity: z.string().min(1),
  recordId: z.string().min(1),
  operation: z.enum(changeOperations),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  hlc: z.string(),
  origin: z.string().min(1),
  baseChangeId: z.string().nullable(),
  actor: z.string(),
  at: z.string(),
  revertOf: z.string().nullable().optional(),
});
export type WireChange = z.infer<typeof wireChange>;

/** Who answers, and where its log is: sent with every page and snapshot. */
const peerIdentity = {
  serverId: z.string(),
  /** Random per database: a different one means the peer was reset and the cursor is void. */
  logId: z.string(),
  schemaVersion: z.number().int(),
  /** The highest `seq` in the answering server's log. */
  head: z.number().int(),
};

export const changesPage = z.object({
  ...peerIdentity,
  changes: z.array(wireChange),
  /** The cursor to send next time: everything up to it has been sent. */
  next: z.number().int(),
  hasMore: z.boolean(),
  /** Changes of the answering server after `after`, and the origin time of the oldest of them. */
  pending: z.number().int(),
  oldestPendingAt: z.string().nullable(),
  /** The answering server's clock when it answered, to tell an admin when the two clocks disagree. */
  serverTime: z.string().optional(),
});
export type ChangesPage = z.infer<typeof changesPage>;

export const snapshotDocument = z.object({
  ...peerIdentity,
  takenAt: z.string(),
  /** Rows of each synchronised entity, as the admin API shows them. */
  records: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  heads: z.array(
    z.object({ entity: z.string(), recordId: z.string(), changeId: z.string(), hlc: z.string(), origin: z.string(), deleted: z.boolean() }),
  ),
  /** The newest part of the answering server's change log (history), oldest first. */
  log: z.array(wireChange.extend({ status: z.enum(changeStatuses), error: z.string().nullable(), receivedAt: z.string().nullable() })),
});
export type SnapshotDocument = z.infer<typeof snapshotDocument>;

/** Request headers a pulling server sends. */
export const SERVER_ID_HEADER = 'x-tandem-server-id';
export const SCHEMA_VERSION_HEADER = 'x-tandem-schema-version';
