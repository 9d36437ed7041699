import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BootFirmware } from '../../functions/domain/boot-document';
import type { OpenResult } from '../boot/served-file';
import { writeFileAtomic } from '../files/atomic-write';
import { serveFileAt } from '../files/boot-tree';
import type { MemoryCache } from '../files/memory-cache';
import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import { planSweep } from './sweep-plan';

/** The firmware version that is verified and served for an object key. */
export interface VerifiedFirmware {
  objectKey: string;
  sha256: string;
  size: number;
  version: string;
  name: string;
  verifiedAt: string;
}

class FirmwareRejected extends Error {
  constructor(
    readonly objectKey: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The relay's verified copy of the firmware in S3. Objects are downloaded to a temporary file,
 * hashed on the way, and kept only when size and sha256 match the handler's record; then they
 * are stored by hash (`blobs/<sha256>`) and the key's index entry is replaced atomically.
 * Only indexed, verified files are served; a corrupt object never replaces a good file.
 */
export class FirmwareStore {
  private readonly syncing = new Map<string, Promise<VerifiedFirmware | null>>();
  private readonly blobs: string;
  private readonly index: string;
  private ready: Promise<unknown> | null = null;
  private readonly rejected: Counter;
  private readonly synced: Counter;
  private readonly removed: Counter;
  /** Recent refusals, for /healthz. */
  readonly recentRejections: Array<{ objectKey: string; expected: string; actual: string; at: string }> = [];

  constructor(
    dir: string,
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly memory: MemoryCache,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly syncTimeoutMs: number,
  ) {
    this.blobs = join(dir, 'blobs');
    this.index = join(dir, 'index');
    this.rejected = metrics.counter('relay_firmware_rejected_total', 'Firmware objects refused because their size or sha256 did not match the record.');
    this.synced = metrics.counter('relay_firmware_synced_total', 'Firmware objects downloaded and verified.');
    this.removed = metrics.counter('relay_firmware_removed_total', 'Firmware files deleted because no configuration on this relay names them any more, by kind.');
  }

  private indexFile(objectKey: string): string {
    return join(this.index, `${encodeURIComponent(objectKey)}.json`);
  }

  async verified(objectKey: string): Promise<VerifiedFirmware | null> {
    try {
      return JSON.parse(await readFile(this.indexFile(objectKey), 'utf8')) as VerifiedFirmware;
    } catch {
      return null;
    }
  }

  async open(objectKey: string): Promise<OpenResult> {
    const entry = await this.verified(objectKey);
    if (!entry) return { ok: false, reason: 'not_found', message: 'no verified copy of this firmware' };
    const root = await realpath(this.blobs).catch(() => null);
    if (!root) return { ok: false, reason: 'not_found', message: 'no verified copy of this firmware' };
    const result = await serveFileAt(join(root, entry.sha256), root, this.memory);
    if (result.ok) {
      result.file.etag = `"${entry.sha256}"`;
      if (result.file.size !== entry.size) return { ok: false, reason: 'unavailable', message: 'cached firmware has the wrong size' };
    }
    return result;
  }

  /**
   * Makes sure the record's version is verified locally. Returns what is served for the key
   * afterwards: the new version, or the older verified one when the new object is refused.
   */
  async ensure(record: BootFirmware): Promise<VerifiedFirmware | null> {
    const current = await this.verified(record.objectKey);
    // A blob that went missing (another worker's sweep raced its download) is fetched again.
    if (current?.sha256 === record.sha256 && (await stat(join(this.blobs, current.sha256)).catch(() => null))) return current;
    const key = `${record.objectKey}\0${record.sha256}`;
    let pending = this.syncing.get(key);
    if (!pending) {
      pending = this.download(record)
        .catch(async (error) => {
          if (!(error instanceof FirmwareRejected)) this.log.error('firmware_sync_failed', { objectKey: record.objectKey, error });
          return this.verified(record.objectKey);
        })
        .finally(() => this.syncing.delete(key));
      this.syncing.set(key, pending);
    }
    return pending;
  }

  /**
   * Deletes the firmware that no configuration this relay holds names any more (see
   * planSweep). `needed`: the firmware of every cached configuration.
   */
  async sweep(needed: BootFirmware[]): Promise<{ entries: number; blobs: number }> {
    const entryFiles = await readdir(this.index).catch(() => [] as string[]);
    const entries = (await Promise.all(entryFiles.filter((f) => f.endsWith('.json')).map((f) => this.verified(decodeURIComponent(f.slice(0, -'.json'.length)))))).filter(
      (e): e is VerifiedFirmware => e !== null,
    );
    const now = Date.now();
    const blobs = (
      await Promise.all((await readdir(this.blobs).catch(() => [] as string[])).map(async (name) => ({ name, stat: await stat(join(this.blobs, name)).catch(() => null) })))
    ).flatMap((b) => (b.stat ? [{ name: b.name, ageMs: now - b.stat.mtimeMs }] : []));
    const plan = planSweep({ entries, blobs, needed, abandonedAfterMs: 2 * this.syncTimeoutMs });
    // Entries first: a blob is never left named by an entry.
    for (const objectKey of plan.dropEntries) {
      await unlink(this.indexFile(objectKey)).catch(() => {});
      this.log.info('firmware_removed', { objectKey, reason: 'no configuration on this relay names it' });
    }
    for (const name of plan.dropBlobs) {
      // A transfer that has the file open keeps reading it: the space is freed when it ends.
      await unlink(join(this.blobs, name)).catch(() => {});
      this.log.info('firmware_blob_removed', { blob: name });
    }
    if (plan.dropEntries.length) this.removed.inc({ kind: 'entry' }, plan.dropEntries.length);
    if (plan.dropBlobs.length) this.removed.inc({ kind: 'blob' }, plan.dropBlobs.length);
    return { entries: plan.dropEntries.length, blobs: plan.dropBlobs.length };
  }

  private async download(record: BootFirmware): Promise<VerifiedFirmware> {
    await (this.ready ??= Promise.all([mkdir(this.blobs, { recursive: true }), mkdir(this.index, { recursive: true })]));
    const blob = join(this.blobs, record.sha256);
    const have = await stat(blob).catch(() => null);
    if (!have || have.size !== record.size) {
      const temp = join(this.blobs, `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      const hash = createHash('sha256');
      let size = 0;
      try {
        const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: record.objectKey }), {
          abortSignal: AbortSignal.timeout(this.syncTimeoutMs),
        });
        const body = object.Body as Readable;
        body.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
        });
        await pipeline(body, createWriteStream(temp));
        const actual = hash.digest('hex');
        if (actual !== record.sha256 || size !== record.size) {
          this.rejected.inc({ object_key: record.objectKey });
          const rejection = { objectKey: record.objectKey, expected: `${record.sha256}/${record.size}`, actual: `${actual}/${size}`, at: new Date().toISOString() };
          this.recentRejections.unshift(rejection);
          this.recentRejections.length = Math.min(this.recentRejections.length, 20);
          this.log.error('firmware_rejected', { ...rejection, version: record.version, reason: 'sha256 or size does not match the handler record; the previous verified file stays in service' });
          throw new FirmwareRejected(record.objectKey, 'firmware object does not match its record');
        }
        await rename(temp, blob);
      } finally {
        await unlink(temp).catch(() => {});
      }
      this.synced.inc();
    }
    const entry: VerifiedFirmware = {
      objectKey: record.objectKey,
      sha256: record.sha256,
      size: record.size,
      version: record.version,
      name: record.name,
      verifiedAt: new Date().toISOString(),
    };
    await writeFileAtomic(this.indexFile(record.objectKey), JSON.stringify(entry));
    this.log.info('firmware_verified', { objectKey: record.objectKey, version: record.version, sha256: record.sha256, size: record.size });
    return entry;
  }
}
