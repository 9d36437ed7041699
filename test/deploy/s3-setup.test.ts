import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OBJECT_STORE, s3ClientConfig } from '../../functions/domain/object-store';
import { relayBucketPolicy, relayIamPolicy, samePolicy } from '../../infra/deploy/relay-read-policy';
import { repoRoot } from '../../infra/local/processes';
import { startObjectStore } from '../../infra/local/object-store';
import { freePort } from '../support/ports';
import { tempDir } from '../relay/support/files';

const run = promisify(execFile);

/** `npm run s3:setup -- …` as an operator runs it. */
function s3Setup(args: string[], env: Record<string, string>) {
  return run('npm', ['run', '--silent', 's3:setup', '--', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 }).then(
    (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
    (failed: { code: number; stdout: string; stderr: string }) => ({ code: failed.code, stdout: failed.stdout, stderr: failed.stderr }),
  );
}

/**
 * Against the local object store (s3rver), which creates buckets but answers PutBucketPolicy
 * with NotImplemented: the policy itself is checked as a document. MinIO is not run here.
 */
describe('npm run s3:setup', { timeout: 120_000 }, () => {
  let store: { url: string; close: () => Promise<unknown> };
  let s3: S3Client;
  beforeAll(async () => {
    store = await startObjectStore({ directory: tempDir('tandem-s3-setup'), port: await freePort(), buckets: [] });
    s3 = new S3Client(s3ClientConfig({ ...LOCAL_OBJECT_STORE, endpoint: store.url }));
  });
  afterAll(async () => {
    s3?.destroy();
    await store?.close();
  });

  it('creates the bucket, then stops with a clear error where the store has no bucket policies', async () => {
    const result = await s3Setup(['--relay-principal', 'tandem-relay'], { S3_ENDPOINT: store.url, S3_BUCKET: 'site-firmware' });
    expect(result.stdout).toContain('bucket site-firmware: created');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not implement bucket policies (PutBucketPolicy: NotImplemented)');
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'site-firmware' }))).resolves.toBeDefined();
  });

  it('finds the bucket there the second time', async () => {
    const result = await s3Setup(['--relay-principal', 'tandem-relay'], { S3_ENDPOINT: store.url, S3_BUCKET: 'site-firmware' });
    expect(result.stdout).toContain('bucket site-firmware: exists');
  });

  it('refuses to run without the relays\' principal, or against a remote store without credentials', async () => {
    const noPrincipal = await s3Setup([], { S3_ENDPOINT: store.url });
    expect(noPrincipal.code).toBe(1);
    expect(noPrincipal.stderr).toContain('--relay-principal is required');
    const remote = await s3Setup(['--relay-principal', 'tandem-relay'], { S3_ENDPOINT: 'https://minio.plant.example:9000', S3_ACCESS_KEY_ID: '', S3_SECRET_ACCESS_KEY: '' });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
  });
});

describe('the relays\' read-only policy', () => {
  it('lets the relays list the bucket and read its objects, and nothing else', () => {
    const policy = relayBucketPolicy('tandem-firmware', 'tandem-relay');
    const granted = policy.Statement.flatMap((s) => s.Action.map((action) => `${action} ${s.Resource.join(',')} ${s.Principal?.AWS.join(',')}`));
    expect(granted.sort()).toEqual(['s3:GetObject arn:aws:s3:::tandem-firmware/* tandem-relay', 's3:ListBucket arn:aws:s3:::tandem-firmware tandem-relay']);
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    // Nobody else: no anonymous or wildcard principal.
    expect(policy.Statement.flatMap((s) => s.Principal?.AWS ?? [])).toEqual(['tandem-relay', 'tandem-relay']);
  });

  it('is the same grant, without a principal, as the IAM policy for MinIO', () => {
    const iam = relayIamPolicy('tandem-firmware');
    expect(iam.Statement.every((s) => s.Principal === undefined)).toBe(true);
    expect(iam.Statement.map((s) => s.Action)).toEqual(relayBucketPolicy('tandem-firmware', 'x').Statement.map((s) => s.Action));
  });

  it('is recognised when a store reads it back reformatted, and a different one is not', () => {
    const policy = relayBucketPolicy('tandem-firmware', 'tandem-relay');
    // As stores answer GetBucketPolicy: single values unwrapped, statements reordered.
    const reformatted = JSON.stringify({
      Version: '2012-10-17',
      Statement: [...policy.Statement].reverse().map((s) => ({ ...s, Sid: '', Principal: { AWS: s.Principal!.AWS[0] }, Action: s.Action[0], Resource: s.Resource[0] })),
    });
    expect(samePolicy(reformatted, policy)).toBe(true);
    expect(samePolicy(reformatted.replace('s3:GetObject', 's3:PutObject'), policy)).toBe(false);
    expect(samePolicy('not json', policy)).toBe(false);
  });
});
