import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startObjectStore } from '../../../infra/local/object-store';
import { createS3Client } from '../../../relay/firmware/s3-client';
import { apiClient, type ApiClient, createToken, type HandlerProcess, startHandler } from '../../support/handler';
import { freePort } from '../../support/ports';
import { bootTreeWithLoaders, tempDir } from './files';
import { startTestRelay, type TestRelay } from './relay-process';

export interface SiteFirmware {
  name: string;
  version: string;
  objectKey: string;
  sha256: string;
  size: number;
}

/** Creates terminal servers, a display client, a group (with firmware) and the terminals. */
export async function seedTerminals(admin: ApiClient, macs: string[], firmware?: SiteFirmware): Promise<{ groupId: string; firmwareId: string | null }> {
  const must = <T extends { status: number; body: any }>(res: T, what: string): T => { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const ts = must(await admin.post('/api/v1/terminal-servers', { name: 'rds-a', host: '10.1.0.11', port: 3389 }), 'terminal server');
  const client = must(
    await admin.post('/api/v1/display-clients', { name: 'line-hmi', type: 'rdp', terminalServerIds: [ts.body.id], failoverMode: 'failover' }),
    'display client',
  );
  let firmwareId: string | null = null;
  if (firmware) {
    const fw = must(
      await admin.post('/api/v1/firmware-packages', {
        name: firmware.name,
        packageVersion: firmware.version,
        objectKey: firmware.objectKey,
        sha256: firmware.sha256,
        size: firmware.size,
      }),
      'firmware package',
    );
    firmwareId = fw.body.id;
  }
  const group = must(
    await admin.post('/api/v1/groups', { name: 'plant', displayClientIds: [client.body.id], ...(firmwareId ? { firmwarePackageId: firmwareId } : {}) }),
    'group',
  );
  for (const [i, mac] of macs.entries()) must(await admin.post('/api/v1/terminals', { mac, name: `terminal-${i + 1}`, groupId: group.body.id }), `terminal ${mac}`);
  return { groupId: group.body.id, firmwareId };
}

export interface HandlerPair {
  a: HandlerProcess;
  b: HandlerProcess;
  /** A relay token both handlers accept. */
  relayToken: string;
  adminA: ApiClient;
  adminB: ApiClient;
  stop(): Promise<void>;
}

/**
 * Two real handler processes serving the same configuration. Until synchronisation lands, the
 * second one starts from a copy of the first one's seeded database (so one relay token works on both).
 */
export async function startHandlerPair(seed: (admin: ApiClient) => Promise<void>, options: { envB?: Record<string, string> } = {}): Promise<HandlerPair> {
  const adminToken = `tdm_test_admin_${randomUUID()}`;
  let a = await startHandler({ env: { TANDEM_SERVER_ID: 'site-a', TANDEM_ADMIN_TOKEN: adminToken } });
  let b: HandlerProcess | null = null;
  try {
    const seeding = apiClient(a.url, adminToken);
    const relayToken = await createToken(seeding, 'relay', 'relay-test');
    await seed(seeding);
    await a.stop();
    const dirB = tempDir('tandem-handler-b');
    for (const suffix of ['', '-wal', '-shm']) {
      const from = join(a.dataDir, `site-a.db${suffix}`);
      if (existsSync(from)) copyFileSync(from, join(dirB, `site-b.db${suffix}`));
    }
    a = await a.restart();
    b = await startHandler({ dataDir: dirB, env: { TANDEM_SERVER_ID: 'site-b', TANDEM_ADMIN_TOKEN: adminToken, ...options.envB } });
    const pair: HandlerPair = {
      a,
      b,
      relayToken,
      adminA: apiClient(a.url, adminToken),
      adminB: apiClient(b.url, adminToken),
      async stop() {
        await Promise.all([pair.a.kill().catch(() => {}), pair.b.kill().catch(() => {})]);
      },
    };
    return pair;
  } catch (error) {
    await a.kill().catch(() => {});
    await b?.kill().catch(() => {});
    throw error;
  }
}

/** The local S3 object store on a free port with the firmware bucket, and an AWS SDK client for it. */
export async function startFirmwareBucket(bucket = 'tandem-firmware') {
  const store = await startObjectStore({ directory: tempDir('relay-s3'), port: await freePort(), buckets: [bucket] });
  const s3 = createS3Client({ endpoint: store.url, bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  return {
    url: store.url,
    bucket,
    put: (key: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    s3,
    close: async () => {
      s3.destroy();
      await store.close();
    },
  };
}
export type FirmwareBucket = Awaited<ReturnType<typeof startFirmwareBucket>>;

export interface FirmwareSite {
  store: FirmwareBucket;
  handler: HandlerProcess;
  admin: ApiClient;
  /** A relay of this site, with a relay token of its own and (unless env names one) a boot folder with Debian's iPXE loaders. */
  startRelay(env?: Record<string, string>): Promise<TestRelay>;
  /** Stops the handler and closes the store (the relays are the test's to stop). */
  stop(): Promise<void>;
}

/** One real handler and the firmware bucket: what a relay serving firmware talks to. */
export async function startFirmwareSite(bucket?: string): Promise<FirmwareSite> {
  const store = await startFirmwareBucket(bucket);
  try {
    const handler = await startHandler();
    const admin = apiClient(handler.url, handler.adminToken);
    // The handler records a relay by its token's name: the relays of a test site are "relay-test".
    let relayToken: Promise<string> | undefined;
    return {
      store,
      handler,
      admin,
      startRelay: async (env = {}) =>
        startTestRelay({
          RELAY_HANDLERS: handler.url,
          RELAY_TOKEN: await (relayToken ??= createToken(admin, 'relay', 'relay-test')),
          RELAY_BOOT_DIR: env.RELAY_BOOT_DIR ?? bootTreeWithLoaders(),
          S3_ENDPOINT: store.url,
          S3_BUCKET: store.bucket,
          ...env,
        }),
      async stop() {
        await handler.stop();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
