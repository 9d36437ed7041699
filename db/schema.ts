import { sql } from 'drizzle-orm';
import { bootSources, changeOperations, changeStatuses, conflictKinds, displayClientTypes, failoverModes, roles } from './enums';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Ids are UUIDs rather than row numbers: two servers of a redundant pair create
 * records independently and must never hand out the same id.
 * Every configuration record carries a `version` for optimistic concurrency.
 */
const record = {
  id: text('id').primaryKey(),
  version: integer('version').notNull().default(1),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
};

const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>();

export const terminalServers = sqliteTable(
  'terminal_servers',
  {
    ...record,
    name: text('name').notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull().default(3389),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [uniqueIndex('terminal_servers_name').on(t.name)],
);

export const displayClients = sqliteTable(
  'display_clients',
  {
    ...record,
    name: text('name').notNull(),
    type: text('type', { enum: displayClientTypes }).notNull(),
    settings: json<Record<string, unknown>>('settings').notNull().default(sql`'{}'`),
    /** Ordered: the terminal tries them in this order. */
    terminalServerIds: json<string[]>('terminal_server_ids').notNull().default(sql`'[]'`),
    failoverMode: text('failover_mode', { enum: failoverModes })
      .notNull()
      .default('none'),
  },
  (t) => [uniqueIndex('display_clients_name').on(t.name)],
);

export const firmwarePackages = sqliteTable(
  'firmware_packages',
  {
    ...record,
    name: text('name').notNull(),
    packageVersion: text('package_version').notNull(),
    objectKey: text('object_key').notNull(),
    sha256: text('sha256').notNull(),
    size: integer('size').notNull(),
  },
  (t) => [uniqueIndex('firmware_packages_name_version').on(t.name, t.packageVersion)],
);

/** Settings a terminal may leave unset (null) and inherit from its group chain. */
const inheritable = {
  hardwareModel: text('hardware_model'),
  videoResolution: text('video_resolution'),
  firmwarePackageId: text('firmware_package_id'),
  displayClientIds: json<string[]>('display_client_ids'),
  options: json<Record<string, unknown>>('options'),
};

export const terminalGroups = sqliteTable(
  'terminal_groups',
  {
    ...record,
    name: text('name').notNull(),
    parentId: text('parent_id'),
    ...inheritable,
  },
  (t) => [uniqueIndex('terminal_groups_name').on(t.name), index('terminal_groups_parent').on(t.parentId)],
);

export const terminals = sqliteTable(
  'terminals',
  {
    ...record,
    mac: text('mac').notNull(),
    name: text('name').notNull(),
    groupId: text('group_id'),
    ...inheritable,
  },
  (t) => [
    uniqueIndex('terminals_mac').on(t.mac),
    uniqueIndex('terminals_name').on(t.name),
    index('terminals_group').on(t.groupId),
  ],
);

/**
 * The boot document of every terminal, resolved when configuration is written,
 * so that a boot is one primary-key read.
 */
export const resolvedConfigs = sqliteTable('resolved_configs', {
  mac: text('mac').primaryKey(),
  terminalId: text('terminal_id').notNull(),
  document: text('document').notNull(),
  configVersion: text('config_version').notNull(),
});

/**
 * Where each terminal's boot document stands in the relays' feed (GET /api/v1/boot/documents):
 * every time a document is written or removed, its MAC takes the next `seq`, so a relay asks
 * for what changed after the last `seq` it saw. `removed` keeps a deleted terminal's MAC so that
 * relays drop it too. Local to each server, like its documents: never synchronised.
 */
export const bootDocumentFeed = sqliteTable(
  'boot_document_feed',
  {
    mac: text('mac').primaryKey(),
    seq: integer('seq').notNull(),
    removed: integer('removed', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [uniqueIndex('boot_document_feed_seq').on(t.seq)],
);

export const pendingTerminals = sqliteTable('pending_terminals', {
  mac: text('mac').primaryKey(),
  firstSeen: text('first_seen').notNull(),
  lastSeen: text('last_seen').notNull(),
  relayId: text('relay_id'),
  requestCount: integer('request_count').notNull().default(1),
});

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: roles }).notNull(),
    /** sha256 of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: text('created_at').notNull(),
    createdBy: text('created_by'),
    revokedAt: text('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash), uniqueIndex('api_tokens_name').on(t.name)],
);

/**
 * A token revoked on either server of a pair: synchronised, so that a leaked token revoked on one
 * server is refused by both (a relay token is often registered on both with one value). Never
 * deleted: a revoked token stays revoked.
 */
export const tokenRevocations = sqliteTable(
  'token_revocations',
  {
    ...record,
    tokenHash: text('token_hash').notNull(),
    /** The token's name where it was revoked, for people reading the history. */
    name: text('name').notNull(),
  },
  (t) => [uniqueIndex('token_revocations_hash').on(t.tokenHash)],
);

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    serverId: text('server_id').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    before: json<unknown>('before'),
    after: json<unknown>('after'),
  },
  (t) => [index('audit_events_entity').on(t.entity, t.entityId), index('audit_events_at').on(t.at)],
);

/** Terminal status reported by relays' check-ins. */
export const terminalStatus = sqliteTable('terminal_status', {
  mac: text('mac').primaryKey(),
  lastBootAt: text('last_boot_at').notNull(),
  relayId: text('relay_id').notNull(),
  firmwareVersion: text('firmware_version'),
  source: text('source', { enum: bootSources }).notNull(),
});

/**
 * The installed licence: one record (id `installed`) holding the signed licence
 * file as it was installed. A configuration record like any other (versioned,
 * written through recordChange as entity `license`), so that a redundant pair
 * synchronises it: installed once, on either server.
 */
export const licenses = sqliteTable('licenses', {
  ...record,
  licenseId: text('license_id').notNull(),
  /** The signed licence file, `{ payload, signature }`, exactly as installed. */
  file: text('file').notNull(),
});

/**
 * Who this server is: generated once at first start, never synchronised and never
 * copied to another server (a secondary bootstrapped from a snapshot of the
 * primary keeps its own). One row, id `self`.
 */
export const serverIdentity = sqliteTable('server_identity', {
  id: text('id').primaryKey(),
  /** What a licence binds to: `TDM-XXXX-XXXX-XXXX-XXXX`. */
  installationId: text('installation_id').notNull(),
  createdAt: text('created_at').notNull(),
  /** Ed25519 key that signs shadow grants: raw public key (base64url) and PKCS#8 private key (base64url). */
  shadowPublicKey: text('shadow_public_key').notNull(),
  shadowPrivateKey: text('shadow_private_key').notNull(),
});

/**
 * Terminal-connection leases of this server: at most one per terminal, counted
 * against the licence. Per server, never synchronised.
 */
export const terminalLeases = sqliteTable(
  'terminal_leases',
  {
    mac: text('mac').primaryKey(),
    grantedAt: text('granted_at').notNull(),
    renewedAt: text('renewed_at').notNull(),
    /** Epoch milliseconds, so that validity is one integer comparison. */
    expiresAt: integer('expires_at').notNull(),
    relayId: text('relay_id'),
  },
  (t) => [index('terminal_leases_expires').on(t.expiresAt)],
);

export type TerminalServer = typeof terminalServers.$inferSelect;
export type DisplayClient = typeof displayClients.$inferSelect;
export type FirmwarePackage = typeof firmwarePackages.$inferSelect;
export type TerminalGroup = typeof terminalGroups.$inferSelect;
export type Terminal = typeof terminals.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Role = ApiToken['role'];
export type LicenseRecord = typeof licenses.$inferSelect;
export type ServerIdentity = typeof serverIdentity.$inferSelect;
export type TerminalLease = typeof terminalLeases.$inferSelect;

/* ------------------------------------------------------------------------------------------
 * Synchronisation between the two servers of a pair (issue 5).
 * ---------------------------------------------------------------------------------------- */

/**
 * Every configuration change this server knows of, its own and those pulled from
 * the peer, in the order this server learnt of them (`seq`). The peer pulls the
 * changes whose origin is this server, by `seq`; a pulled change is stored with
 * its own origin, so it is never sent back. `changeId` makes applying idempotent.
 */
export const changeLog = sqliteTable(
  'change_log',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    changeId: text('change_id').notNull(),
    entity: text('entity').notNull(),
    recordId: text('record_id').notNull(),
    operation: text('operation', { enum: changeOperations }).notNull(),
    before: json<Record<string, unknown>>('before'),
    /** The record's state after the change; null is a tombstone. */
    after: json<Record<string, unknown>>('after'),
    /** Hybrid logical clock, fixed width so that text order is clock order. */
    hlc: text('hlc').notNull(),
    /** The server the change was made on. */
    origin: text('origin').notNull(),
    /** The change the record was at when this one was made: a mismatch on arrival is a conflict. */
    baseChangeId: text('base_change_id'),
    actor: text('actor').notNull(),
    /** Wall time at the origin. */
    at: text('at').notNull(),
    /** When this server applied a pulled change; null for its own. */
    receivedAt: text('received_at'),
    /** applied; superseded (arrived after a later change to the record); failed (see error). */
    status: text('status', { enum: changeStatuses }).notNull().default('applied'),
    error: text('error'),
    revertOf: text('revert_of'),
  },
  (t) => [
    uniqueIndex('change_log_change_id').on(t.changeId),
    index('change_log_origin_seq').on(t.origin, t.seq),
    index('change_log_record').on(t.entity, t.recordId, t.seq),
    index('change_log_hlc').on(t.hlc),
    index('change_log_at').on(t.at),
    index('change_log_status').on(t.status),
  ],
);

/** The change each record is at (also after a delete): the merge rule compares against it. */
export const recordHeads = sqliteTable(
  'record_heads',
  {
    entity: text('entity').notNull(),
    recordId: text('record_id').notNull(),
    changeId: text('change_id').notNull(),
    hlc: text('hlc').notNull(),
    origin: text('origin').notNull(),
    deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.entity, t.recordId] })],
);

/** This server's synchronisation identity and switches (one row, id 1). */
export const syncState = sqliteTable('sync_state', {
  id: integer('id').primaryKey(),
  /** Random, made once per database: a peer whose log id changes was reset, and its cursor is void. */
  logId: text('log_id').notNull(),
  paused: integer('paused', { mode: 'boolean' }).notNull().default(false),
  pausedAt: text('paused_at'),
  pausedBy: text('paused_by'),
  /**
   * When this database was restored from a backup (`tandem restore`); null: never. A restored
   * server takes back from the peer the changes it made after the backup (the peer holds them),
   * from `recoveryCursor` in the peer's log `recoveryLogId`, until `recoveredAt` is set.
   */
  restoredAt: text('restored_at'),
  recoveredAt: text('recovered_at'),
  recoveryLogId: text('recovery_log_id'),
  recoveryCursor: integer('recovery_cursor').notNull().default(0),
});

/** How far this server has pulled from a peer: the peer's `seq`, advanced with each applied batch. */
export const syncPeers = sqliteTable('sync_peers', {
  peerServerId: text('peer_server_id').primaryKey(),
  peerLogId: text('peer_log_id').notNull(),
  cursor: integer('cursor').notNull().default(0),
  lastSuccessAt: text('last_success_at'),
  lastAppliedAt: text('last_applied_at'),
  bootstrappedAt: text('bootstrapped_at'),
});

/** The same record changed on both servers, or a unique name/MAC claimed on both: who won, and both versions. */
export const syncConflicts = sqliteTable(
  'sync_conflicts',
  {
    id: text('id').primaryKey(),
    /** The two change ids, sorted: both servers name a conflict the same way. */
    pairKey: text('pair_key').notNull(),
    kind: text('kind', { enum: conflictKinds }).notNull(),
    entity: text('entity').notNull(),
    recordId: text('record_id').notNull(),
    local: json<Record<string, unknown>>('local').notNull(),
    remote: json<Record<string, unknown>>('remote').notNull(),
    winnerChangeId: text('winner_change_id').notNull(),
    resolution: text('resolution').notNull(),
    detectedAt: text('detected_at').notNull(),
    acknowledgedAt: text('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
  },
  (t) => [uniqueIndex('sync_conflicts_pair').on(t.pairKey), index('sync_conflicts_record').on(t.entity, t.recordId)],
);

export type ChangeLogEntry = typeof changeLog.$inferSelect;
export type RecordHead = typeof recordHeads.$inferSelect;

/**
 * Dashboard sessions: an API token exchanged for a cookie (functions/dashboard/). Per server,
 * never synchronised. The cookie holds a random secret; only its sha256 is stored. A session
 * speaks for its token: revoking the token ends the session.
 */
export const dashboardSessions = sqliteTable(
  'dashboard_sessions',
  {
    /** sha256 (hex) of the secret the cookie holds. */
    id: text('id').primaryKey(),
    tokenId: text('token_id').notNull(),
    createdAt: text('created_at').notNull(),
    /** Epoch milliseconds: the session ends then, whatever happens. */
    expiresAt: integer('expires_at').notNull(),
    /** Epoch milliseconds of the last request seen (kept to the minute): an idle session ends. */
    lastSeenAt: integer('last_seen_at').notNull(),
  },
  (t) => [index('dashboard_sessions_token').on(t.tokenId), index('dashboard_sessions_expires').on(t.expiresAt)],
);

export type DashboardSession = typeof dashboardSessions.$inferSelect;
