import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/local/processes';
import { tempDir } from '../relay/support/files';
import type { TestRelay } from '../relay/support/relay-process';
import { startTestRelay } from '../relay/support/relay-process';
import { startFirmwareBucket, type FirmwareBucket } from '../relay/support/site';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { tandem } from './support';

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('tandem firmware upload: streamed to the object store, verified by the relays', { timeout: 300_000 }, () => {
  let store: FirmwareBucket;
  let handler: HandlerProcess;
  let admin: ApiClient;
  const relays: TestRelay[] = [];
  const dir = tempDir('tandem-firmware');
  const image = randomBytes(64 * MiB);
  const imageFile = join(dir, 'tc-os-2.0.img');
  const other = Buffer.from(image);
  other[other.length >> 1] ^= 0xff;
  const otherFile = join(dir, 'tc-os-2.0-rebuilt.img');
  let firmwareId: string;

  /** What the bucket holds under the package's prefix. */
  const stored = async () => {
    const listed = await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'firmware/tc-os/2.0/' }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  };

  beforeAll(async () => {
    writeFileSync(imageFile, image);
    writeFileSync(otherFile, other);
    store = await startFirmwareBucket();
    handler = await startHandler({ env: { S3_ENDPOINT: store.url, S3_BUCKET: store.bucket, TANDEM_FIRMWARE_MAX_BYTES: String(80 * MiB) } });
    admin = apiClient(handler.url, handler.adminToken);
    const relayToken = await createToken(admin, 'relay', 'relay-test');
    for (const id of ['relay-a', 'relay-b'])
      relays.push(await startTestRelay({ RELAY_ID: id, RELAY_HANDLERS: handler.url, RELAY_TOKEN: relayToken, RELAY_BOOT_DIR: tempDir('relay-boot'), S3_ENDPOINT: store.url, S3_BUCKET: store.bucket }));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await handler?.stop();
    await store?.close();
  });

  it('uploads a 64 MiB image: sha256 and size computed on the way, the package registered', async () => {
    const { stdout, stderr } = await tandem(handler, ['firmware', 'upload', imageFile, '--name', 'tc-os', '--version', '2.0']);
    const record = JSON.parse(stdout);
    expect(record).toMatchObject({ name: 'tc-os', packageVersion: '2.0', sha256: sha256(image), size: image.length });
    expect(record.objectKey).toMatch(/^firmware\/tc-os\/2\.0\/[0-9a-f-]{36}\.img$/);
    expect(stderr).toMatch(/uploaded tc-os 2\.0: 64\.0 MiB in [\d.]+ s \([\d.]+ MB\/s\)/);
    console.log(`firmware upload: ${stderr.trim()}`);
    firmwareId = record.id;
    expect(await stored()).toEqual([record.objectKey]);
  });

  it('the relays serve it verified', async () => {
    const group = await admin.post('/api/v1/groups', { name: 'line', firmwarePackageId: firmwareId });
    expect(group.status).toBe(201);
    const macs = ['02:00:5e:30:00:01', '02:00:5e:30:00:02'];
    for (const [i, mac] of macs.entries()) expect((await admin.post('/api/v1/terminals', { mac, name: `fw-${i}`, groupId: group.body.id })).status).toBe(201);
    const { objectKey } = (await admin.get(`/api/v1/firmware-packages/${firmwareId}`)).body;
    for (const [i, relay] of relays.entries()) {
      // A boot makes the relay fetch the firmware its terminal needs, check it, and only then serve it.
      const script = await waitFor(
        async () => {
          const text = await (await fetch(`${relay.http}/boot.ipxe?mac=${macs[i]}`)).text();
          return text.includes('chain') ? text : null;
        },
        () => `relay ${i} to verify the firmware`,
        120_000,
      );
      expect(script).toContain(`sha256 ${sha256(image)}`);
      const res = await fetch(`${relay.http}/firmware/${objectKey}`);
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(image));
    }
  });

  it('takes the same bytes again without a change', async () => {
    const { stderr, stdout } = await tandem(handler, ['firmware', 'upload', imageFile, '--name', 'tc-os', '--version', '2.0']);
    expect(stderr).toContain('tc-os 2.0 is already registered with these bytes');
    expect(JSON.parse(stdout).id).toBe(firmwareId);
    expect((await admin.get('/api/v1/firmware-packages')).body.total).toBe(1);
    expect(await stored()).toHaveLength(1);
  });

  it('refuses other bytes under the same name and version, and keeps nothing of them', async () => {
    await expect(tandem(handler, ['firmware', 'upload', otherFile, '--name', 'tc-os', '--version', '2.0'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`409 firmware_version_exists — tc-os 2.0 is already registered with other bytes (sha256 ${sha256(image)}`),
    });
    const record = (await admin.get(`/api/v1/firmware-packages/${firmwareId}`)).body;
    expect(record.sha256).toBe(sha256(image));
    expect(await stored()).toEqual([record.objectKey]);
    const served = await fetch(`${relays[0].http}/firmware/${record.objectKey}`);
    expect(sha256(Buffer.from(await served.arrayBuffer()))).toBe(sha256(image));
  });

  it('refuses an image past the size limit, announced or not, and keeps nothing of an upload cut short', async () => {
    const upload = (body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(`${handler.url}/api/v1/firmware-packages/upload?name=big&version=1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${handler.adminToken}`, 'content-type': 'application/octet-stream', ...headers },
        body,
        duplex: 'half',
      } as RequestInit);
    const announced = await upload(Buffer.alloc(16), { 'content-length': String(81 * MiB) }).catch((err) => err);
    // Refused before the body is read: the answer may come while the client is still sending.
    if (announced instanceof Response) expect(announced.status).toBe(413);

    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 100 * MiB) return controller.close();
        sent += MiB;
        controller.enqueue(new Uint8Array(MiB));
      },
    });
    const streamed = await upload(endless);
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).code).toBe('firmware_too_large');

    // A client that goes away half-way: nothing is registered, nothing is left in the store.
    await new Promise<void>((resolve) => {
      const req = request(`${handler.url}/api/v1/firmware-packages/upload?name=cut&version=1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${handler.adminToken}`, 'content-type': 'application/octet-stream', 'content-length': String(20 * MiB) },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(12 * MiB), () => setTimeout(() => req.destroy(), 500));
    });
    await waitFor(async () => handler.output().includes('The image could not be stored'), () => 'the handler to give up the cut upload', 60_000);
    expect((await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'firmware/cut/' }))).KeyCount ?? 0).toBe(0);

    const viewer = await createToken(admin, 'viewer');
    const refused = await fetch(`${handler.url}/api/v1/firmware-packages/upload?name=x&version=1`, { method: 'PUT', headers: { authorization: `Bearer ${viewer}` }, body: 'x' });
    expect(refused.status).toBe(403);

    expect((await admin.get('/api/v1/firmware-packages')).body.total).toBe(1);
    const all = await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'firmware/' }));
    expect((all.Contents ?? []).map((o) => o.Key)).toEqual([(await admin.get(`/api/v1/firmware-packages/${firmwareId}`)).body.objectKey]);
  });
});
