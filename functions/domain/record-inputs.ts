import { z } from '@hono/zod-openapi';
import { displayClientTypes, failoverModes } from '../../db/enums';
import { jsonTooLarge } from './json-bounds';
import { parseMac } from './mac';

/**
 * What an admin may write into each configuration record: the request bodies of the API, and the
 * rule every other write (a revert, a change pulled from the peer) is held to as well.
 */
const name = z.string().trim().min(1).max(100);
const id = z.string().min(1).max(64);
const jsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const tooLarge = jsonTooLarge(value);
  if (tooLarge) ctx.addIssue({ code: 'custom', message: `the object ${tooLarge}` });
});

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
