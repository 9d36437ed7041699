import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '../../functions/domain/token';
import { waitFor } from '../../infra/local/processes';
import { createLogger } from '../../relay/observe/log';
import { Metrics } from '../../relay/observe/metrics';
import { ConfigCache } from '../../relay/upstream/config-cache';
import { ConfigFeed } from '../../relay/upstream/config-feed';
import { HandlerPool } from '../../relay/upstream/handler-pool';
import type { ApiClient } from '../support/handler';
import { settled, startPair, type Pair } from '../support/pair';
import { sha256, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { type FirmwareBucket, startFirmwareBucket } from './support/site';

const run = promisify(execFile);
const T1 = 'aa:bb:cc:00:80:01';
const T2 = 'aa:bb:cc:00:80:02';
/** In a group of its own, with firmware of its own: deleting it leaves that firmware unused. */
const LAB = 'aa:bb:cc:00:80:03';
const UNKNOWN = 'aa:bb:cc:00:80:99';

interface CachedFile {
  etag: string;
  document: { mac: string; configVersion: string; videoResolution: string | null; firmware: { objectKey: string; sha256: string } | null };
}

/**
 * Each relay holds every configured terminal's configuration and verified firmware, and keeps
 * them current, without any terminal booting: with both handlers down a terminal boots from
 * whichever relay answers, though it never booted through it. Real handlers (a pair in full
 * redundancy, synchronising), real relay processes, the local S3 server, curl over HTTP and TFTP.
 */
describe('every relay can serve every terminal on its own', { timeout: 240_000 }, () => {
  let pair: Pair;
  let store: FirmwareBucket;
  const relays: Record<string, TestRelay> = {};
  const tokens = { 'relay-a': generateToken(), 'relay-b': generateToken(), 'relay-c': generateToken() };
  const os = randomBytes(256 * 1024 + 5);
  const os2 = randomBytes(256 * 1024 + 77);
  const lab = randomBytes(64 * 1024 + 3);
  const ids: Record<string, string> = {};

  const must = async <T extends { status: number; body: any }>(call: Promise<T>, what: string): Promise<T> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await call;
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };

  const startRelay = (id: keyof typeof tokens, handlers: string[]) =>
    startTestRelay({
      RELAY_ID: id,
      RELAY_TOKEN: tokens[id],
      RELAY_HANDLERS: handlers.join(','),
      RELAY_BOOT_DIR: tempDir('relay-boot'),
      RELAY_CONFIG_POLL_MS: '300',
      RELAY_PROBE_INTERVAL_MS: '200',
      RELAY_UPSTREAM_TIMEOUT_MS: '2000',
      S3_ENDPOINT: store.url,
      S3_BUCKET: store.bucket,
    });

  const cached = (relay: TestRelay): Map<string, CachedFile> => {
    const dir = join(relay.cacheDir, 'configs');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^([0-9a-f]{2}-){5}[0-9a-f]{2}\.json$/.test(f)) : [];
    return new Map(files.map((f) => [f.slice(0, 17).replace(/-/g, ':'), JSON.parse(readFileSync(join(dir, f), 'utf8')) as CachedFile]));
  };
  /** The relay's verified copy of an object, or null: its index entry, and the blob it names hashed again. */
  const verifiedFirmware = (relay: TestRelay, objectKey: string): string | null => {
    const entry = join(relay.cacheDir, 'firmware', 'index', `${encodeURIComponent(objectKey)}.json`);
    if (!existsSync(entry)) return null;
    const { sha256: named } = JSON.parse(readFileSync(entry, 'utf8')) as { sha256: string };
    const blob = join(relay.cacheDir, 'firmware', 'blobs', named);
    return existsSync(blob) && sha256(readFileSync(blob)) === named ? named : null;
  };
  const health = async (relay: TestRelay) => (await fetch(`${relay.http}/healthz`)).json();
  /** Every document the handlers hold, read through the feed (which, unlike a boot, records nothing). */
  const handlerDocuments = async (url: string) => {
    const res = await fetch(`${url}/api/v1/boot/documents?limit=1000`, { headers: { authorization: `Bearer ${tokens['relay-a']}` } });
    const page = await res.json();
    return new Map<string, string>(page.documents.map((d: { mac: string; configVersion: string }) => [d.mac, d.configVersion]));
  };
  /** Polls until every relay named holds what `accept` wants (bounded). */
  const untilRelays = (names: string[], accept: (relay: TestRelay) => boolean, what: string) =>
    waitFor(
      async () => names.every((n) => accept(relays[n])) || null,
      () => `${what}: ${names.map((n) => `${n} holds ${[...cached(relays[n]).keys()].join(' ')}`).join('; ')}`,
      60_000,
    );

  beforeAll(async () => {
    store = await startFirmwareBucket();
    await store.put('fw/tc-os-1.img', os);
    await store.put('fw/tc-os-2.img', os2);
    await store.put('fw/lab.img', lab);
    pair = await startPair({ mode: 'full', env: { TANDEM_SYNC_INTERVAL_MS: '500' } });
    const admin: ApiClient = pair.a.admin;
    for (const m of [pair.a, pair.b]) for (const [name, token] of Object.entries(tokens)) await must(m.admin.post('/api/v1/tokens', { role: 'relay', name, token }), `token ${name}`);
    const ts = await must(admin.post('/api/v1/terminal-servers', { name: 'rds-a', host: '10.1.0.11', port: 3389 }), 'terminal server');
    const client = await must(admin.post('/api/v1/display-clients', { name: 'hmi', type: 'rdp', terminalServerIds: [ts.body.id], failoverMode: 'failover' }), 'display client');
    const fw = async (name: string, key: string, body: Buffer) =>
      (await must(admin.post('/api/v1/firmware-packages', { name, packageVersion: '1', objectKey: key, sha256: sha256(body), size: body.length }), `firmware ${name}`)).body.id as string;
    ids.os = await fw('tc-os', 'fw/tc-os-1.img', os);
    ids.os2 = await fw('tc-os-next', 'fw/tc-os-2.img', os2);
    ids.lab = await fw('lab', 'fw/lab.img', lab);
    ids.plant = (await must(admin.post('/api/v1/groups', { name: 'plant', displayClientIds: [client.body.id], firmwarePackageId: ids.os }), 'group')).body.id;
    ids.labGroup = (await must(admin.post('/api/v1/groups', { name: 'lab', displayClientIds: [client.body.id], firmwarePackageId: ids.lab }), 'group')).body.id;
    for (const [mac, group] of [[T1, ids.plant], [T2, ids.plant], [LAB, ids.labGroup]]) {
      ids[mac] = (await must(admin.post('/api/v1/terminals', { mac, name: `t-${mac.slice(-2)}`, groupId: group }), `terminal ${mac}`)).body.id;
    }
    await settled(pair);
    relays.a = await startRelay('relay-a', [pair.a.handler.url, pair.b.handler.url]);
    relays.b = await startRelay('relay-b', [pair.b.handler.url, pair.a.handler.url]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(Object.values(relays).map((r) => r.stop()));
    await pair?.stop().catch(() => {});
    await Promise.all([pair?.a.handler.kill().catch(() => {}), pair?.b.handler.kill().catch(() => {})]);
    await store?.close();
  });

  it('fills both relays with every terminal and its verified firmware, with no terminal booting', async () => {
    const expected = await handlerDocuments(pair.a.handler.url);
    expect([...expected.keys()].sort()).toEqual([T1, T2, LAB]);
    await untilRelays(['a', 'b'], (r) => cached(r).size === 3 && verifiedFirmware(r, 'fw/lab.img') !== null && verifiedFirmware(r, 'fw/tc-os-1.img') !== null, 'every terminal cached');
    for (const relay of [relays.a, relays.b]) {
      const held = cached(relay);
      for (const [mac, version] of expected) {
        expect(held.get(mac)?.document.configVersion).toBe(version);
        expect(held.get(mac)?.etag).toBe(`"${version}"`);
      }
      expect(verifiedFirmware(relay, 'fw/tc-os-1.img')).toBe(sha256(os));
      expect(verifiedFirmware(relay, 'fw/lab.img')).toBe(sha256(lab));
      expect((await health(relay)).cache).toMatchObject({ ready: true, terminals: 3 });
    }
    // Nothing booted: no handler heard of a boot.
    for (const m of [pair.a, pair.b]) expect((await m.admin.get('/api/v1/terminal-status')).body.items).toEqual([]);
  });

  it('says it is ready only once a new relay holds every terminal and its firmware', async () => {
    relays.c = await startRelay('relay-c', [pair.a.handler.url, pair.b.handler.url]);
    const ready = await waitFor(async () => ((await health(relays.c)).cache?.ready ? true : null), () => 'relay C to be ready', 60_000);
    expect(ready).toBe(true);
    // Read at once, with no wait: ready means filled.
    expect([...cached(relays.c).keys()].sort()).toEqual([T1, T2, LAB]);
    expect(verifiedFirmware(relays.c, 'fw/tc-os-1.img')).toBe(sha256(os));
    expect(verifiedFirmware(relays.c, 'fw/lab.img')).toBe(sha256(lab));
    await waitFor(async () => relays.c.process.records().some((r) => r.event === 'config_cache_ready' && r.terminals === 3), () => 'the config_cache_ready line', 10_000);
    await relays.c.stop();
    delete relays.c;
  });

  it('brings a configuration change made on either handler to both relays without a boot', async () => {
    await must(pair.b.admin.patch(`/api/v1/terminals/${ids[T1]}`, { videoResolution: '1280x1024' }), 'change on B');
    await untilRelays(['a', 'b'], (r) => cached(r).get(T1)?.document.videoResolution === '1280x1024', 'the change on both relays');
    // New firmware for the plant: verified on both relays, the old version swept.
    await must(pair.a.admin.patch(`/api/v1/groups/${ids.plant}`, { firmwarePackageId: ids.os2 }), 'firmware change on A');
    await untilRelays(
      ['a', 'b'],
      (r) => cached(r).get(T2)?.document.firmware?.objectKey === 'fw/tc-os-2.img' && verifiedFirmware(r, 'fw/tc-os-2.img') !== null && verifiedFirmware(r, 'fw/tc-os-1.img') === null,
      'the new firmware on both relays, the old one gone',
    );
    for (const m of [pair.a, pair.b]) expect((await m.admin.get('/api/v1/terminal-status')).body.items).toEqual([]);
  });

  it('drops a deleted terminal from both caches, and sweeps the firmware only it used', async () => {
    await must(pair.a.admin.call('DELETE', `/api/v1/terminals/${ids[LAB]}`), 'delete');
    await untilRelays(['a', 'b'], (r) => !cached(r).has(LAB) && verifiedFirmware(r, 'fw/lab.img') === null, 'the deleted terminal gone');
    for (const relay of [relays.a, relays.b]) {
      expect([...cached(relay).keys()].sort()).toEqual([T1, T2]);
      expect(relay.process.records().some((r) => r.event === 'config_cache_dropped')).toBe(true);
      expect(relay.process.records().some((r) => r.event === 'firmware_removed' && r.objectKey === 'fw/lab.img')).toBe(true);
    }
  });

  it('offers to boot an unknown terminal only while a handler answers, and a held one always', async () => {
    const log = createLogger({ test: true }, 'error', () => {});
    const metrics = new Metrics();
    const pool = new HandlerPool([pair.a.handler.url], { probeIntervalMs: 100, requestTimeoutMs: 1000, downAfter: 2, upAfter: 2, refusalCooldownMs: 1000 }, log, metrics);
    const dir = tempDir('relay-offers');
    const feed = new ConfigFeed(
      pool,
      new ConfigCache(join(dir, 'configs')),
      { relayId: 'relay-a', token: tokens['relay-a'], requestTimeoutMs: 1000, pollIntervalMs: 60_000, pageSize: 500, stateFile: join(dir, 'feed.json'), afterChanges: async () => {} },
      log,
      metrics,
    );
    try {
      expect(feed.mayOffer(T1)).toBe(false); // not ready: filling first
      pool.start();
      feed.start();
      await feed.whenReady;
      expect(feed.mayOffer(T1)).toBe(true);
      expect(feed.mayOffer(UNKNOWN)).toBe(true); // the handler answers: the explaining script, and pending
      expect(feed.mayOffer('not a mac')).toBe(false);
      pool.stop();
      for (let i = 0; i < 5; i++) pool.failed(pair.a.handler.url, 'stopped for the test');
      expect(feed.mayOffer(UNKNOWN)).toBe(false); // nothing to serve it from
      expect(feed.mayOffer(T2.toUpperCase().replace(/:/g, '-'))).toBe(true); // held: served from the cache
    } finally {
      feed.stop();
      pool.stop();
    }
  });

  it('boots a terminal that never booted through it from either relay, with both handlers down', async () => {
    await pair.a.handler.kill();
    await pair.b.handler.kill();
    for (const relay of [relays.b, relays.a]) {
      await waitFor(async () => ((await health(relay)).handlers.every((h: { healthy: boolean }) => !h.healthy) ? true : null), () => 'handlers seen down', 30_000);
      const script = await fetch(`${relay.http}/boot.ipxe?mac=${T2}`);
      expect(script.status).toBe(200);
      expect(script.headers.get('x-tandem-config-source')).toBe('cache');
      const text = await script.text();
      expect(text).toContain(`${relay.http}/firmware/fw/tc-os-2.img`);
      expect(text).toContain(sha256(os2));
      const image = await fetch(`${relay.http}/firmware/fw/tc-os-2.img`);
      expect(sha256(Buffer.from(await image.arrayBuffer()))).toBe(sha256(os2));
      const config = await fetch(`${relay.http}/config/${T2}`);
      expect(config.headers.get('x-tandem-config-source')).toBe('cache');
      expect((await config.json()).mac).toBe(T2);
      const tftpConfig = await run('curl', ['-sS', '--max-time', '20', `tftp://127.0.0.1:${relay.tftpPort}/config/${T2}.json`]);
      expect(JSON.parse(tftpConfig.stdout).firmware.objectKey).toBe('fw/tc-os-2.img');
      const tftpImage = await run('curl', ['-sS', '--max-time', '30', `tftp://127.0.0.1:${relay.tftpPort}/firmware/fw/tc-os-2.img`], { encoding: 'buffer', maxBuffer: 8 << 20 });
      expect(sha256(tftpImage.stdout)).toBe(sha256(os2));
    }
  });
});
