import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3ClientConfig, type ObjectStoreSettings } from '../domain/object-store';
import { firmwareTooLarge, type FirmwareObjectStore } from './firmware-upload';

const MiB = 1024 * 1024;

/**
 * The firmware store of a Node handler: the relays' S3 bucket, written with lib-storage's
 * multipart `Upload` (a few parts in memory at a time, whatever the image's size), the bytes
 * counted and hashed as they pass.
 */
export function s3FirmwareStore(settings: ObjectStoreSettings): FirmwareObjectStore & { close(): void } {
  const client = new S3Client(s3ClientConfig(settings));
  const Bucket = settings.bucket;
  return {
    where: `${settings.endpoint.replace(/\/+$/, '')}/${Bucket}`,
    async put(key, body, maxBytes) {
      const hash = createHash('sha256');
      let size = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > maxBytes) return done(firmwareTooLarge(maxBytes));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const source = Readable.fromWeb(body as NodeWebStream<Uint8Array>);
      source.on('error', (err) => counted.destroy(err));
      source.pipe(counted);
      // At most 10,000 parts of at least 5 MiB each: parts grow with the largest image taken.
      const partSize = Math.max(8 * MiB, Math.ceil(maxBytes / 9_000));
      const upload = new Upload({ client, params: { Bucket, Key: key, Body: counted, ContentType: 'application/octet-stream' }, partSize, queueSize: 4 });
      try {
        await upload.done();
      } catch (err) {
        // The stream's own error says more than the SDK's wrapping of it.
        throw counted.errored ?? source.errored ?? err;
      }
      // Some servers keep a body's transfer framing: what is stored must be what was hashed.
      const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      if (head.ContentLength !== size) throw new Error(`the store holds ${head.ContentLength} bytes for the ${size} bytes sent`);
      return { size, sha256: hash.digest('hex') };
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    close: () => client.destroy(),
  };
}
