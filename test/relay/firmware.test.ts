import { GetObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/local/processes';
import type { ApiClient } from '../support/handler';
import { sha256, tempDir } from './support/files';
import type { TestRelay } from './support/relay-process';
import { type FirmwareSite, seedTerminals, startFirmwareSite } from './support/site';

const run = promisify(execFile);
const BUCKET = 'tandem-firmware';
const T1 = 'aa:bb:cc:00:20:01';
const T2 = 'aa:bb:cc:00:20:02';

describe('firmware from the object store, verified before it is served', { timeout: 120_000 }, () => {
  let site: FirmwareSite;
  let admin: ApiClient;
  let relay: TestRelay;
  let firmwareId: string;
  const v1 = randomBytes(1024 * 1024 + 17);
  const v2 = randomBytes(1024 * 1024 + 99);
  const broken = randomBytes(4096);

  /** Uploads and reads back: the local server once stored streamed bodies with their framing. */
  const put = async (key: string, body: Buffer) => {
    await site.store.put(key, body);
    const back = await site.store.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(sha256(Buffer.from(await back.Body!.transformToByteArray()))).toBe(sha256(body));
  };
  const corrupt = (data: Buffer) => {
    const copy = Buffer.from(data);
    copy[copy.length >> 1] ^= 0xff;
    return copy;
  };

  beforeAll(async () => {
    site = await startFirmwareSite(BUCKET);
    admin = site.admin;
    await put('fw/tc-os.img', v1);
    await put('fw/broken.img', corrupt(broken));

    const seeded = await seedTerminals(admin, [T1], { name: 'tc-os', version: '1.0', objectKey: 'fw/tc-os.img', sha256: sha256(v1), size: v1.length });
    firmwareId = seeded.firmwareId!;
    const fw2 = await admin.post('/api/v1/firmware-packages', { name: 'tc-os-broken', packageVersion: '9.9', objectKey: 'fw/broken.img', sha256: sha256(broken), size: broken.length });
    const group2 = await admin.post('/api/v1/groups', { name: 'lab', firmwarePackageId: fw2.body.id });
    expect((await admin.post('/api/v1/terminals', { mac: T2, name: 'lab-1', groupId: group2.body.id })).status).toBe(201);

    relay = await site.startRelay();
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await site?.stop();
  });

  const script = async (mac: string) => {
    const res = await fetch(`${relay.http}/boot.ipxe?mac=${mac}`);
    return { status: res.status, text: await res.text() };
  };
  const firmwareUrl = () => `${relay.http}/firmware/fw/tc-os.img`;

  it('syncs, verifies and serves a terminal its firmware over HTTP (with ranges) and TFTP', async () => {
    const { status, text } = await script(T1);
    expect(status).toBe(200);
    expect(text).toMatch(/^#!ipxe/);
    expect(text).toContain(`chain --autofree ${relay.http}/firmware/fw/tc-os.img`);
    expect(text).toContain(`sha256 ${sha256(v1)}`);

    const whole = await fetch(firmwareUrl());
    expect(whole.status).toBe(200);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(v1));

    const part = await fetch(firmwareUrl(), { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${v1.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(v1.subarray(100, 200))).toBe(true);

    const tail = await fetch(firmwareUrl(), { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(v1.subarray(v1.length - 10))).toBe(true);
    expect((await fetch(firmwareUrl(), { headers: { range: `bytes=${v1.length + 5}-` } })).status).toBe(416);

    const out = join(tempDir('relay-fw-out'), 'fw.img');
    await run('curl', ['-sS', '--max-time', '60', '--tftp-blksize', '1468', '-o', out, `tftp://127.0.0.1:${relay.tftpPort}/firmware/fw/tc-os.img`]);
    expect(sha256(readFileSync(out))).toBe(sha256(v1));
  });

  it('refuses a firmware object whose hash does not match, and keeps serving the verified one', async () => {
    const rejectedBefore = await relay.metric('relay_firmware_rejected_total', 'object_key="fw/tc-os.img"');
    // Version 2 is recorded, but the object in the store is damaged.
    await put('fw/tc-os.img', corrupt(v2));
    const patched = await admin.patch(`/api/v1/firmware-packages/${firmwareId}`, { packageVersion: '2.0', sha256: sha256(v2), size: v2.length });
    expect(patched.status).toBe(200);

    const { status, text } = await script(T1);
    expect(status).toBe(200);
    expect(text).toContain(`sha256 ${sha256(v1)}`);
    expect(text).toContain('tc-os 1.0');
    expect(await relay.metric('relay_firmware_rejected_total', 'object_key="fw/tc-os.img"')).toBe(rejectedBefore + 1);
    expect(relay.process.records()).toContainEqual(expect.objectContaining({ event: 'firmware_rejected', objectKey: 'fw/tc-os.img', level: 'error' }));
    const health = await (await fetch(`${relay.http}/healthz`)).json();
    expect(health.firmware.recentRejections[0]).toMatchObject({ objectKey: 'fw/tc-os.img' });

    const served = await fetch(firmwareUrl());
    expect(sha256(Buffer.from(await served.arrayBuffer()))).toBe(sha256(v1));
  });

  it('takes the new version once the object in the store is right', async () => {
    await put('fw/tc-os.img', v2);
    const { text } = await script(T1);
    expect(text).toContain(`sha256 ${sha256(v2)}`);
    const served = await fetch(firmwareUrl());
    expect(sha256(Buffer.from(await served.arrayBuffer()))).toBe(sha256(v2));
  });

  it('never serves firmware that was not verified', async () => {
    const { status, text } = await script(T2);
    expect(status).toBe(200);
    expect(text).toContain('is not verified on this relay yet');
    expect(text).not.toContain('chain');
    const res = await fetch(`${relay.http}/firmware/fw/broken.img`);
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('not_found');
  });
  it('deletes the firmware no configuration names any more, and keeps what is in service', async () => {
    // A relay that sweeps every second, with leftovers of a firmware retired long ago and a dead download.
    const sweeping = await site.startRelay({ RELAY_FIRMWARE_SYNC_INTERVAL_MS: '1000' });
    try {
      const boot = async (mac: string) => (await fetch(`${sweeping.http}/boot.ipxe?mac=${mac}`)).text();
      const blobs = join(sweeping.cacheDir, 'firmware', 'blobs');
      const index = join(sweeping.cacheDir, 'firmware', 'index');
      const served = async (key: string) => {
        const res = await fetch(`${sweeping.http}/firmware/${key}`);
        return res.ok ? sha256(Buffer.from(await res.arrayBuffer())) : res.status;
      };
      expect(await boot(T1)).toContain(`sha256 ${sha256(v2)}`);
      writeFileSync(join(blobs, sha256(v1)), v1);
      writeFileSync(join(index, `${encodeURIComponent('fw/retired.img')}.json`), JSON.stringify({ objectKey: 'fw/retired.img', sha256: sha256(v1), size: v1.length, version: '0.9', name: 'tc-os', verifiedAt: '2020-01-01T00:00:00.000Z' }));
      const dead = join(blobs, '.4242.dead.tmp');
      writeFileSync(dead, 'half a download');
      utimesSync(dead, new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));

      await waitFor(async () => !existsSync(join(blobs, sha256(v1))) && !existsSync(dead), () => 'the retired firmware and the dead download to be deleted');
      expect(existsSync(join(index, `${encodeURIComponent('fw/retired.img')}.json`))).toBe(false);
      expect(existsSync(join(blobs, sha256(v2)))).toBe(true);
      expect(await served('fw/tc-os.img')).toBe(sha256(v2));

      // The terminal moves to firmware under a new key: the old key's file goes once the new one serves.
      const v3 = randomBytes(512 * 1024 + 3);
      await put('fw/tc-os-3.img', v3);
      const moved = await admin.patch(`/api/v1/firmware-packages/${firmwareId}`, { packageVersion: '3.0', objectKey: 'fw/tc-os-3.img', sha256: sha256(v3), size: v3.length });
      expect(moved.status).toBe(200);
      expect(await boot(T1)).toContain(`sha256 ${sha256(v3)}`);
      await waitFor(async () => !existsSync(join(blobs, sha256(v2))), () => 'the firmware of the old key to be deleted');
      expect(await served('fw/tc-os.img')).toBe(404);
      expect(await served('fw/tc-os-3.img')).toBe(sha256(v3));
      expect(await sweeping.metric('relay_firmware_removed_total', 'kind="blob"')).toBeGreaterThanOrEqual(3);
    } finally {
      await sweeping.stop();
    }
  });
});
