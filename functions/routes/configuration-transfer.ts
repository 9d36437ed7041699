import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { access } from '../domain/roles';
import { actorOf, type AppEnv } from '../http/context';
import { requestBodyRules } from '../http/request-body';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import { configurationDocumentSchema, exportConfiguration, readConfigurationDocument } from '../services/configuration-export';
import { importConfiguration, planImport, summarise } from '../services/configuration-import';

export const CONFIGURATION_IMPORT_PATH = '/api/v1/configuration/import';
/** A plant's whole configuration: 10,000 terminals take about 5 MiB. */
export const CONFIGURATION_IMPORT_MAX_BYTES = 64 * 1024 * 1024;

const problem = { description: 'Problem document (RFC 9457)' };

/** The whole configuration as one document: export, and import into an empty server or a dry-run diff (`tandem export|import`). */
export function mountConfigurationTransfer(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/configuration',
      access: access.administer,
      summary: 'The whole configuration as one tandem-configuration document (credentials included: keep it as secret as a backup)',
      tags: ['operations'],
      responses: { 200: { description: 'The document', content: { 'application/json': { schema: configurationDocumentSchema } } } },
    },
    async (c) => {
      const { db, serverId, now } = c.var.deps;
      return c.json(await exportConfiguration(db.orm, { serverId, schemaVersion: db.schemaVersion }, now()));
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: CONFIGURATION_IMPORT_PATH,
      access: access.administer,
      writes: true,
      summary:
        'Import a tandem-configuration document into an empty server, in one transaction through the one write path; with dryRun=true, what it would add, change and remove here',
      tags: ['operations'],
      // Larger than other bodies (a whole plant), checked once the caller is known to be an admin.
      middleware: [requestBodyRules(CONFIGURATION_IMPORT_MAX_BYTES)],
      request: { query: z.object({ dryRun: z.enum(['true', 'false']).default('false') }), body: jsonBody(configurationDocumentSchema) },
      responses: {
        200: { description: 'dryRun: the plan (per entity: add, change with the fields, remove, unchanged, clashes); else the records written' },
        400: problem,
        409: { description: 'configuration_not_empty: this server holds configuration (the summary of the diff is in the problem)' },
        413: problem,
      },
    },
    async (c) => {
      const doc = readConfigurationDocument(c.req.valid('json'));
      const { db, serverId, now } = c.var.deps;
      if (c.req.valid('query').dryRun === 'true') {
        const plan = await planImport(db.orm, doc);
        return c.json({ dryRun: true, summary: summarise(plan), ...plan });
      }
      const imported = await db.write((tx) => importConfiguration(tx, { serverId, actor: actorOf(c.var.principal), at: now() }, doc));
      return c.json({ dryRun: false, imported });
    },
  );
}
