import { z } from '@hono/zod-openapi';
import { asc } from 'drizzle-orm';
import type { Orm } from '../../db/database';
import { DomainError } from '../domain/errors';
import { knownEntity, parseRow, type EntitySpec, type StoredRecord } from './entities';

/**
 * The whole configuration of a server as one JSON document (`tandem export`, `tandem import`):
 * every record an admin configures, ids and versions included, so that a server that imports it
 * resolves every terminal's boot document exactly as the exporting server does. Not in it: the
 * licence (bound to installations), tokens, leases, history, and the server's identity.
 *
 *   { format: "tandem-configuration", version: 1, exportedAt, source: { serverId, schemaVersion },
 *     records: { "terminal-server": [...], "display-client": [...], "firmware-package": [...],
 *                "group": [...], "terminal": [...] } }
 *
 * Display-client settings keep their credentials: the file is as secret as the database.
 */
export const CONFIGURATION_FORMAT = 'tandem-configuration';
export const CONFIGURATION_VERSION = 1;

/** The configured entities, in the order an import writes them: references point backwards (groups are ordered parent first). */
export const CONFIGURED_ENTITIES = ['terminal-server', 'display-client', 'firmware-package', 'group', 'terminal'] as const;
export type ConfiguredEntity = (typeof CONFIGURED_ENTITIES)[number];

export type ConfigurationRecords = Record<ConfiguredEntity, StoredRecord[]>;

export interface ConfigurationDocument {
  format: typeof CONFIGURATION_FORMAT;
  version: typeof CONFIGURATION_VERSION;
  exportedAt: string;
  source: { serverId: string; schemaVersion: number };
  records: ConfigurationRecords;
}

/** The envelope; each record is checked against its entity's stored shape (`parseRow`) when read. */
export const configurationDocumentSchema = z
  .object({
    format: z.literal(CONFIGURATION_FORMAT),
    version: z.number().int(),
    exportedAt: z.string(),
    source: z.object({ serverId: z.string(), schemaVersion: z.number().int() }),
    records: z.object(Object.fromEntries(CONFIGURED_ENTITIES.map((e) => [e, z.array(z.record(z.string(), z.unknown())).default([])]))).strict(),
  })
  .openapi('ConfigurationDocument');

const specs = (): [ConfiguredEntity, EntitySpec][] => CONFIGURED_ENTITIES.map((entity) => [entity, knownEntity(entity)]);

/** Every configured record, read in one transaction so that references between them hold. */
export async function exportConfiguration(orm: Orm, source: { serverId: string; schemaVersion: number }, at: Date): Promise<ConfigurationDocument> {
  const entities = specs();
  const tables = (await orm.batch(entities.map(([, spec]) => orm.select().from(spec.table).orderBy(asc(spec.idColumn))) as never)) as unknown as StoredRecord[][];
  const records = Object.fromEntries(entities.map(([entity], i) => [entity, tables[i]])) as ConfigurationRecords;
  return { format: CONFIGURATION_FORMAT, version: CONFIGURATION_VERSION, exportedAt: at.toISOString(), source, records };
}

/**
 * A document as an import reads it: the format and version this release writes, every record in
 * its entity's stored shape, each id once. A problem names the entity, the record and the field.
 */
export function readConfigurationDocument(input: unknown): ConfigurationDocument {
  const envelope = configurationDocumentSchema.safeParse(input);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const field = issue.path.map(String).join('.') || '(document)';
    throw new DomainError(400, 'invalid_configuration', `The document is not a ${CONFIGURATION_FORMAT} document: ${field}: ${issue.message}.`, { field });
  }
  const doc = envelope.data;
  if (doc.version !== CONFIGURATION_VERSION)
    throw new DomainError(
      400,
      'unsupported_configuration_version',
      `The document is version ${doc.version} of ${CONFIGURATION_FORMAT}; this server reads version ${CONFIGURATION_VERSION}. Export it again with this release.`,
      { version: doc.version, supported: CONFIGURATION_VERSION },
    );
  const records = {} as ConfigurationRecords;
  for (const [entity, spec] of specs()) {
    const seen = new Set<string>();
    records[entity] = (doc.records[entity] ?? []).map((state) => {
      const row = parseRow(spec, state);
      if (seen.has(row.id)) throw new DomainError(400, 'invalid_configuration', `${entity} ${row.id} appears twice in the document.`, { entity, id: row.id });
      seen.add(row.id);
      return row;
    });
  }
  return { ...doc, version: CONFIGURATION_VERSION, records };
}
