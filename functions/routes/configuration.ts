import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { displayClients, firmwarePackages, pendingTerminals, terminalGroups, terminals, terminalServers } from '../../db/schema';
import { displayClientTypes, failoverModes } from '../domain/boot-document';
import { conflict, DomainError } from '../domain/errors';
import { parseMac } from '../domain/mac';
import { subtreeOf, wouldCycle } from '../domain/resolve';
import type { AppEnv } from '../http/context';
import type { RouteTable } from '../http/route';
import { forgetResolvedConfig, loadCatalog } from '../services/resolved-configs';
import { ensureDisplayClientUnused, ensureExist, ensureFirmwareUnused, ensureTerminalServerUnused } from '../services/references';
import { mountResource } from './resource';

/* eslint-disable @typescript-eslint/no-explicit-any */

const name = z.string().trim().min(1).max(100);
const id = z.string().min(1).max(64);
const jsonObject = z.record(z.string(), z.unknown());

/** Settings a terminal or a group may set; null or absent means "inherit". */
const inheritable = {
  hardwareModel: z.string().max(100).nullable().optional(),
  videoResolution: z.string().regex(/^(auto|\d{3,5}x\d{3,5}(@\d{2,3})?)$/, 'a resolution like 1920x1080, 1920x1080@60 or auto').nullable().optional(),
  firmwarePackageId: id.nullable().optional(),
  displayClientIds: z.array(id).max(32).nullable().optional(),
  options: jsonObject.nullable().optional(),
};

const objectKey = z
  .string()
  .min(1)
  .max(512)
  .refine((k) => !k.startsWith('/') && !k.split('/').includes('..') && !k.includes('\\') && !k.includes('\0'), 'a relative object key without ".." segments');

export const terminalServerInput = z.object({
  name,
  host: z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9.:_\[\]-]+$/, 'a host name or IP address'),
  port: z.number().int().min(1).max(65535).default(3389),
  enabled: z.boolean().default(true),
});

export const displayClientInput = z.object({
  name,
  type: z.enum(displayClientTypes),
  settings: jsonObject.default({}),
  terminalServerIds: z.array(id).max(32).default([]),
  failoverMode: z.enum(failoverModes).default('none'),
});

export const firmwarePackageInput = z.object({
  name,
  packageVersion: z.string().trim().min(1).max(64),
  objectKey,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
  size: z.number().int().min(0),
});

export const groupInput = z.object({ name, parentId: id.nullable().optional(), ...inheritable });

export const terminalInput = z.object({
  mac: z.string().refine((m) => parseMac(m) !== null, 'a MAC address such as aa:bb:cc:dd:ee:ff'),
  name,
  groupId: id.nullable().optional(),
  ...inheritable,
});

const checkInheritable = async (tx: any, row: any) => {
  await ensureExist(tx, firmwarePackages, [row.firmwarePackageId], 'firmwarePackageId', 'firmware package');
  await ensureExist(tx, displayClients, row.displayClientIds, 'displayClientIds', 'display client');
};

/** Mounts the admin API for the configuration records. */
export function mountConfiguration(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  mountResource(app, table, {
    entity: 'terminal-server',
    path: '/api/v1/terminal-servers',
    tag: 'terminal servers',
    table: terminalServers,
    orderBy: terminalServers.name,
    createSchema: terminalServerInput,
    ensureDeletable: (tx, row) => ensureTerminalServerUnused(tx, row.id),
    scope: async () => 'all',
  });

  mountResource(app, table, {
    entity: 'display-client',
    path: '/api/v1/display-clients',
    tag: 'display clients',
    table: displayClients,
    orderBy: displayClients.name,
    createSchema: displayClientInput,
    validate: async (tx, row) => {
      if (new Set(row.terminalServerIds).size !== row.terminalServerIds.length)
        throw new DomainError(400, 'invalid_field', 'terminalServerIds lists a server twice.', { field: 'terminalServerIds' });
      await ensureExist(tx, terminalServers, row.terminalServerIds, 'terminalServerIds', 'terminal server');
    },
    ensureDeletable: (tx, row) => ensureDisplayClientUnused(tx, row.id),
    scope: async () => 'all',
  });

  mountResource(app, table, {
    entity: 'firmware-package',
    path: '/api/v1/firmware-packages',
    tag: 'firmware',
    table: firmwarePackages,
    orderBy: firmwarePackages.name,
    createSchema: firmwarePackageInput,
    ensureDeletable: (tx, row) => ensureFirmwareUnused(tx, row.id),
    scope: async () => 'all',
  });

  mountResource(app, table, {
    entity: 'group',
    path: '/api/v1/groups',
    tag: 'groups',
    table: terminalGroups,
    orderBy: terminalGroups.name,
    createSchema: groupInput,
    filters: { parentId: terminalGroups.parentId },
    validate: async (tx, row) => {
      await ensureExist(tx, terminalGroups, [row.parentId], 'parentId', 'group');
      if (row.parentId && wouldCycle(row.id, row.parentId, (await loadCatalog(tx)).groups))
        throw new DomainError(400, 'group_cycle', 'parentId would make the group its own ancestor.', { field: 'parentId' });
      await checkInheritable(tx, row);
    },
    ensureDeletable: async (tx, row) => {
      const child = await tx.select({ id: terminalGroups.id }).from(terminalGroups).where(eq(terminalGroups.parentId, row.id)).get();
      const member = await tx.select({ id: terminals.id }).from(terminals).where(eq(terminals.groupId, row.id)).get();
      if (child || member) throw conflict('group_not_empty', 'The group still holds groups or terminals; move or delete them first.');
    },
    scope: async (tx, next, previous) => ({ groupIds: subtreeOf((next ?? previous)!.id, (await loadCatalog(tx)).groups.values()) }),
  });

  mountResource(app, table, {
    entity: 'terminal',
    path: '/api/v1/terminals',
    tag: 'terminals',
    table: terminals,
    orderBy: terminals.name,
    createSchema: terminalInput,
    filters: { groupId: terminals.groupId, mac: terminals.mac },
    prepare: (input) => (input.mac ? { ...input, mac: parseMac(input.mac) } : input),
    validate: async (tx, row) => {
      await ensureExist(tx, terminalGroups, [row.groupId], 'groupId', 'group');
      await checkInheritable(tx, row);
    },
    // A terminal that is configured is no longer waiting in the pending list.
    afterWrite: async (tx, next, previous) => {
      if (next) await tx.delete(pendingTerminals).where(eq(pendingTerminals.mac, next.mac));
      else await forgetResolvedConfig(tx, previous!.id);
    },
    scope: async (_tx, next, previous) => ({ terminalIds: [(next ?? previous)!.id] }),
  });
}
