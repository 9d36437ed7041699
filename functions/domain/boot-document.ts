import { z } from 'zod';
import { displayClientTypes, failoverModes } from '../../db/enums';

/**
 * The resolved configuration a relay hands to a terminal: inheritance applied,
 * display clients expanded with their terminal servers, firmware located.
 * Shared by the handlers (which build it) and the relays (which cache and serve it).
 */

export const bootTerminalServerSchema = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
});

export const bootDisplayClientSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(displayClientTypes),
  settings: z.record(z.string(), z.unknown()),
  failoverMode: z.enum(failoverModes),
  /** Enabled servers only, in the order the display client lists them. */
  terminalServers: z.array(bootTerminalServerSchema),
});

export const bootFirmwareSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  objectKey: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

export const bootDocumentSchema = z.object({
  mac: z.string(),
  terminalId: z.string(),
  name: z.string(),
  /** Group names from the terminal's own group up to the root. */
  groupPath: z.array(z.string()),
  hardwareModel: z.string().nullable(),
  videoResolution: z.string().nullable(),
  firmware: bootFirmwareSchema.nullable(),
  displayClients: z.array(bootDisplayClientSchema),
  options: z.record(z.string(), z.unknown()),
  /** Changes whenever anything in the resolved document changes; the same on every server. */
  configVersion: z.string(),
});

export type BootDocument = z.infer<typeof bootDocumentSchema>;
export type BootDisplayClient = z.infer<typeof bootDisplayClientSchema>;
export type BootFirmware = z.infer<typeof bootFirmwareSchema>;
