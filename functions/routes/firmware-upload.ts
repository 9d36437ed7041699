import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../domain/errors';
import { access } from '../domain/roles';
import { actorOf, type AppEnv } from '../http/context';
import { recordEtag } from '../http/preconditions';
import { declareRoute, type RouteTable } from '../http/route';
import { uploadFirmware } from '../services/firmware-upload';

export const FIRMWARE_UPLOAD_PATH = '/api/v1/firmware-packages/upload';

const problem = { description: 'Problem document (RFC 9457)' };

/** A firmware image in one request, streamed to the object store and registered (`tandem firmware upload`, the dashboard). */
export function mountFirmwareUpload(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'put',
      path: FIRMWARE_UPLOAD_PATH,
      access: access.configure,
      writes: true,
      summary:
        'Upload a firmware image (the body, application/octet-stream): streamed to the object store, its size and sha256 computed on the way, and registered as the package name/version. The same bytes again answer the package (200); other bytes under an existing name and version are refused (409)',
      tags: ['firmware'],
      request: {
        query: z.object({ name: z.string().max(100), version: z.string().max(64) }),
        body: { required: true, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      },
      responses: {
        201: { description: 'Registered: the firmware package' },
        200: { description: 'These bytes are this package already: nothing changed' },
        400: problem,
        413: { description: 'firmware_too_large: past TANDEM_FIRMWARE_MAX_BYTES' },
        409: { description: 'firmware_version_exists: the name and version hold other bytes; firmware_upload_unavailable: this handler has no object store to write to (Workers)' },
        502: { description: 'object_store_failed' },
      },
    },
    async (c) => {
      const { name, version } = c.req.valid('query');
      const { db, serverId, now, firmwareUploads } = c.var.deps;
      if (!firmwareUploads)
        throw new DomainError(
          409,
          'firmware_upload_unavailable',
          'This handler has no object store to stream firmware to (a Worker): upload through a Node handler of the site, which writes to the relays\' bucket with its S3_* settings.',
        );
      const length = c.req.header('content-length');
      const declaredSize = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
      const ctx = { serverId, actor: actorOf(c.var.principal), at: now() };
      const { record, created } = await uploadFirmware(db, firmwareUploads, ctx, { name, version, body: c.req.raw.body, declaredSize });
      c.header('ETag', recordEtag(record.version));
      if (created) c.header('Location', `/api/v1/firmware-packages/${record.id}`);
      return c.json(record, created ? 201 : 200);
    },
  );
}
