import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../functions/domain/object-store';
import type { RelaySettings } from '../settings';

/** An S3 client that works against MinIO, R2 and the local object store alike (the settings the handler's uploads use too). */
export function createS3Client(s3: RelaySettings['s3']): S3Client {
  return new S3Client(s3ClientConfig(s3));
}
