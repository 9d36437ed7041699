/**
 * `npm run s3:setup -- --relay-principal <who>`: the firmware bucket and the relays' read-only
 * access to it, through the S3 API, on MinIO or any S3-compatible store. Run it once per site,
 * with the store's S3_* settings and an access key that may create buckets and set policies
 * (not the relays' key):
 *
 *   1. the bucket (S3_BUCKET): created unless it exists;
 *   2. its bucket policy (PutBucketPolicy): the relays' principal may list the bucket and read
 *      objects, nothing more; read back (GetBucketPolicy) and compared;
 *   3. the same rights as an IAM policy for the relays' user (--iam-policy-file, or printed):
 *      MinIO judges signed requests by the user's IAM policies alone, so there that is the
 *      grant that counts (`mc admin policy create` / `attach`, printed with it).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetBucketPolicyCommand, HeadBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { objectStoreSettings, s3ClientConfig, type ObjectStoreSettings } from '../../functions/domain/object-store';
import { relayBucketPolicy, relayIamPolicy, samePolicy } from './relay-read-policy';

export class SetupError extends Error {}

const codeOf = (error: unknown) => (error as { name?: string; Code?: string }).name ?? (error as { Code?: string }).Code;
const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

async function ensureBucket(s3: S3Client, bucket: string): Promise<'created' | 'exists'> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return 'exists';
  } catch (error) {
    if (statusOf(error) !== 404) throw new SetupError(`bucket ${bucket}: the store answered ${statusOf(error) ?? codeOf(error)} to HeadBucket (do these credentials reach it?)`);
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return 'created';
  } catch (error) {
    if (codeOf(error) === 'BucketAlreadyOwnedByYou') return 'exists';
    throw new SetupError(`bucket ${bucket}: CreateBucket failed: ${codeOf(error)} ${(error as Error).message}`);
  }
}

async function setRelayPolicy(s3: S3Client, bucket: string, principal: string): Promise<void> {
  const policy = relayBucketPolicy(bucket, principal);
  try {
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
  } catch (error) {
    if (codeOf(error) === 'NotImplemented' || statusOf(error) === 501)
      throw new SetupError(`bucket ${bucket}: this object store does not implement bucket policies (PutBucketPolicy: NotImplemented); give the relays a read-only key with the store's own tools`);
    throw new SetupError(`bucket ${bucket}: PutBucketPolicy failed: ${codeOf(error)} ${(error as Error).message}`);
  }
  const stored = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
  if (!samePolicy(stored.Policy ?? '', policy)) throw new SetupError(`bucket ${bucket}: the policy read back is not the one set: ${stored.Policy}`);
}

/** Steps 1 and 2 against one store, each reported as it is done. */
export async function setUpObjectStore(store: ObjectStoreSettings, relayPrincipal: string, report: (line: string) => void): Promise<void> {
  const s3 = new S3Client(s3ClientConfig(store));
  try {
    report(`bucket ${store.bucket}: ${await ensureBucket(s3, store.bucket)}`);
    await setRelayPolicy(s3, store.bucket, relayPrincipal);
    report(`bucket policy: ${relayPrincipal} may list ${store.bucket} and read its objects, nothing more (set and read back)`);
  } finally {
    s3.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'relay-principal': { type: 'string' }, 'iam-policy-file': { type: 'string' } } });
  const principal = values['relay-principal'];
  if (!principal) throw new SetupError('--relay-principal is required: who the relays are to the store (the relays\' access key on MinIO; an IAM user ARN on AWS)');
  const store = objectStoreSettings(process.env, (message) => {
    throw new SetupError(message);
  });
  await setUpObjectStore(store, principal, (line) => console.log(line));
  const iamPolicy = JSON.stringify(relayIamPolicy(store.bucket), null, 2);
  const file = values['iam-policy-file'];
  if (file) writeFileSync(file, iamPolicy + '\n');
  console.log(
    [
      'MinIO grants signed requests by IAM policy, not bucket policy. Give the relays their own user with:',
      `  mc admin policy create <alias> tandem-relay-read ${file ?? '<this policy, saved as a file>'}`,
      `  mc admin user add <alias> ${principal} <secret key>`,
      `  mc admin policy attach <alias> tandem-relay-read --user ${principal}`,
      ...(file ? [] : ['The IAM policy (--iam-policy-file <path> writes it to a file):', iamPolicy]),
    ].join('\n'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(`s3-setup: ${error instanceof SetupError ? error.message : (error as Error).stack}`);
    process.exit(1);
  });
}
