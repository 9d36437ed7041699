import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { firmwarePackages, type FirmwarePackage } from '../../db/schema';
import { DomainError } from '../domain/errors';
import { firmwarePackageInput } from '../domain/record-inputs';
import type { ChangeContext } from './record-change';
import { createRecord } from './write-record';

/**
 * A firmware image uploaded in one request (`PUT /api/v1/firmware-packages/upload`, used by
 * `tandem firmware upload` and the dashboard): the body is streamed to the object store, its
 * size and sha256 computed on the way, and the package registered with them. The bytes of a
 * name and version never change: the same bytes again are answered with the package already
 * there; other bytes are refused. Runtime-neutral: the store is the seam below.
 */

/** Where uploads go: the relays' object store (S3), reached by the Node handler (`firmware-upload-s3.ts`). */
export interface FirmwareObjectStore {
  /** Names the store in messages: `http://minio:9000/tandem-firmware`. */
  where: string;
  /** Streams `body` to `key`, stopping with `firmware_too_large` past `maxBytes`; answers what it stored. */
  put(key: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<{ size: number; sha256: string }>;
  remove(key: string): Promise<void>;
}

export interface FirmwareUploads {
  store: FirmwareObjectStore;
  /** TANDEM_FIRMWARE_MAX_BYTES: the largest image taken. */
  maxBytes: number;
}

export interface FirmwareUpload {
  name: string;
  version: string;
  body: ReadableStream<Uint8Array> | null;
  /** Content-Length, when the client said it: refused at once when too large, checked at the end. */
  declaredSize: number | null;
}

export interface UploadedFirmware {
  record: FirmwarePackage;
  /** False when the package was already there with these bytes (the upload changed nothing). */
  created: boolean;
}

export const firmwareTooLarge = (maxBytes: number) =>
  new DomainError(413, 'firmware_too_large', `The image is larger than ${maxBytes} bytes, the most this server takes (TANDEM_FIRMWARE_MAX_BYTES).`, { maxBytes });

const nameAndVersion = firmwarePackageInput.pick({ name: true, packageVersion: true });

/** One object per upload, under a readable prefix: an upload never overwrites bytes a relay may be serving. */
export function firmwareObjectKey(name: string, version: string, uploadId: string): string {
  const segment = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return `firmware/${segment(name)}/${segment(version)}/${uploadId}.img`;
}

/** Streams an image to the store and registers it, or answers the package these bytes already are; see the module comment. */
export async function uploadFirmware(db: Database, uploads: FirmwareUploads, ctx: ChangeContext, upload: FirmwareUpload): Promise<UploadedFirmware> {
  const parsed = nameAndVersion.safeParse({ name: upload.name, packageVersion: upload.version });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path[0] === 'packageVersion' ? 'version' : String(issue.path[0]);
    throw new DomainError(400, 'invalid_field', `${field}: ${issue.message}`, { field });
  }
  const { name, packageVersion } = parsed.data;
  if (upload.declaredSize !== null && upload.declaredSize > uploads.maxBytes) throw firmwareTooLarge(uploads.maxBytes);
  if (!upload.body || upload.declaredSize === 0) throw new DomainError(400, 'empty_firmware', 'The request has no body: send the image itself as the body (Content-Type: application/octet-stream).');

  const key = firmwareObjectKey(name, packageVersion, crypto.randomUUID());
  let stored: { size: number; sha256: string };
  try {
    stored = await uploads.store.put(key, upload.body, uploads.maxBytes);
  } catch (err) {
    await uploads.store.remove(key).catch(() => undefined);
    if (err instanceof DomainError) throw err;
    throw new DomainError(502, 'object_store_failed', `The image could not be stored in ${uploads.store.where}: ${String((err as Error)?.message ?? err)}`);
  }

  try {
    if (stored.size === 0) throw new DomainError(400, 'empty_firmware', 'The body was empty: an empty file is not a firmware image.');
    if (upload.declaredSize !== null && stored.size !== upload.declaredSize)
      throw new DomainError(400, 'firmware_truncated', `The body ended after ${stored.size} of the ${upload.declaredSize} bytes announced; nothing was registered.`, {
        received: stored.size,
        declared: upload.declaredSize,
      });
    const result = await db.write(async (tx): Promise<UploadedFirmware> => {
      const existing = await tx
        .select()
        .from(firmwarePackages)
        .where(and(eq(firmwarePackages.name, name), eq(firmwarePackages.packageVersion, packageVersion)))
        .get();
      if (!existing) {
        const record = (await createRecord(tx, ctx, 'firmware-package', { name, packageVersion, objectKey: key, sha256: stored.sha256, size: stored.size })) as FirmwarePackage;
        return { record, created: true };
      }
      if (existing.sha256 === stored.sha256 && existing.size === stored.size) return { record: existing, created: false };
      throw new DomainError(
        409,
        'firmware_version_exists',
        `${name} ${packageVersion} is already registered with other bytes (sha256 ${existing.sha256}, ${existing.size} bytes; this upload: ${stored.sha256}, ${stored.size} bytes). A version's image never changes: upload it under a new version.`,
        { id: existing.id, sha256: existing.sha256, size: existing.size, uploaded: stored },
      );
    });
    // The package already there keeps its own object; this upload's copy is not needed.
    if (!result.created) await uploads.store.remove(key).catch(() => undefined);
    return result;
  } catch (err) {
    await uploads.store.remove(key).catch(() => undefined);
    throw err;
  }
}
