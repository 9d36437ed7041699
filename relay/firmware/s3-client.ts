import { S3Client } from '@aws-sdk/client-s3';
import type { RelaySettings } from '../settings';

/** An S3 client that works against MinIO, R2 and the local object store alike. */
export function createS3Client(s3: RelaySettings['s3']): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    // Non-AWS servers mishandle the SDK's default checksums (one stored a corrupted body).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
