import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtEntries } from '../../infra/build/build';
import { emulateBoot } from '../../infra/emulator/thin-client';
import { repoRoot } from '../../infra/local/processes';
import { apiClient, createToken } from '../support/handler';
import { freePort } from '../support/ports';
import { randomFile, sha256, tempDir } from '../relay/support/files';
import { type FirmwareBucket, seedTerminals, startFirmwareBucket } from '../relay/support/site';
import { type NodeProcess, startNode, waitForOk } from './support/node-process';

const MAC = 'aa:bb:cc:00:15:02';

/**
 * `npm run build`, then a terminal boots through the built relay from the built handler, each
 * started with plain `node` (no TypeScript loader) from a folder outside the repository, so
 * that nothing is found through the working directory.
 */
describe('the production build', { timeout: 240_000 }, () => {
  let store: FirmwareBucket;
  let handler: NodeProcess;
  let relay: NodeProcess;
  let handlerUrl: string;
  let relayHttp: string;
  let ports: { dhcpPort: number; pxePort: number; tftpPort: number; clientPort: number };
  let loader: Buffer;
  const firmware = randomBytes(2 * 1024 * 1024 + 3);

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'pipe', timeout: 180_000 });
    const elsewhere = tempDir('tandem-built-cwd');
    store = await startFirmwareBucket();
    await store.put('fw/tc-os-8.img', firmware);

    const adminToken = `tdm_test_admin_${randomUUID()}`;
    const handlerPort = await freePort();
    handlerUrl = `http://127.0.0.1:${handlerPort}`;
    handler = startNode([join(repoRoot, builtEntries.handler)], {
      HOST: '127.0.0.1',
      PORT: String(handlerPort),
      TANDEM_DATA_DIR: tempDir('tandem-built-handler'),
      TANDEM_ADMIN_TOKEN: adminToken,
      TANDEM_DEMO: '1',
    }, elsewhere);
    await waitForOk(`${handlerUrl}/healthz`, handler);
    const admin = apiClient(handlerUrl, adminToken);
    await seedTerminals(admin, [MAC], { name: 'tc-os', version: '8.0', objectKey: 'fw/tc-os-8.img', sha256: sha256(firmware), size: firmware.length });

    const boot = tempDir('tandem-built-boot');
    loader = randomFile(boot, 'snponly.efi', 150_000);
    ports = { dhcpPort: await freePort('udp'), pxePort: await freePort('udp'), tftpPort: await freePort('udp'), clientPort: await freePort('udp') };
    const httpPort = await freePort();
    relayHttp = `http://127.0.0.1:${httpPort}`;
    relay = startNode([join(repoRoot, builtEntries.relay)], {
      RELAY_ID: 'relay-built',
      RELAY_HOST: '127.0.0.1',
      // Two processes (node:cluster forks the built file) and transfer threads (the built thread file).
      RELAY_WORKERS: '2',
      RELAY_TFTP_IO: 'thread',
      RELAY_HANDLERS: handlerUrl,
      RELAY_TOKEN: await createToken(admin, 'relay', 'relay-built'),
      RELAY_BOOT_DIR: boot,
      RELAY_CACHE_DIR: tempDir('tandem-built-cache'),
      RELAY_PROBE_INTERVAL_MS: '200',
      RELAY_TFTP_PORT: String(ports.tftpPort),
      RELAY_HTTP_PORT: String(httpPort),
      RELAY_PROXYDHCP: 'on',
      RELAY_DHCP_HOST: '127.0.0.1',
      RELAY_DHCP_PORT: String(ports.dhcpPort),
      RELAY_PXE_PORT: String(ports.pxePort),
      RELAY_DHCP_CLIENT_PORT: String(ports.clientPort),
      RELAY_ADVERTISE_ADDRESS: '127.0.0.1',
      S3_ENDPOINT: store.url,
      S3_BUCKET: store.bucket,
    }, elsewhere);
    await waitForOk(`${relayHttp}/healthz`, relay);
    // Both workers listening, the TFTP one included, and a handler seen healthy.
    for (let i = 0; i < 300; i++) {
      const health = await (await fetch(`${relayHttp}/healthz`)).json();
      const listening = relay.output().split('\n').filter((line) => line.includes('"relay_listening"')).length;
      if (health.status === 'ok' && listening === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 240_000);

  afterAll(async () => {
    await relay?.stop();
    await handler?.stop();
    await store?.close();
  });

  it('runs the handler as JavaScript with every migration applied from dist/', async () => {
    expect(handler.child.spawnargs.join(' ')).not.toContain('tsx');
    const journal = JSON.parse(readFileSync(join(repoRoot, 'db/migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    const health = await (await fetch(`${handlerUrl}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', database: 'ok', schemaVersion: journal.entries.length });
  });

  it('boots a terminal through the built relay: proxyDHCP, TFTP from a transfer thread, the verified firmware and its configuration', async () => {
    const trace = await emulateBoot(MAC, ports);
    expect(trace.offer).toEqual({ file: 'snponly.efi', siaddr: '127.0.0.1' });
    expect(trace.loader.equals(loader)).toBe(true);
    expect(trace.script).toContain('tc-os 8.0');
    expect(trace.firmware && sha256(trace.firmware)).toBe(sha256(firmware));
    expect(trace.config).toMatchObject({ mac: MAC, firmware: { version: '8.0' } });
    const health = await (await fetch(`${relayHttp}/healthz`)).json();
    expect(health.tftp).toMatchObject({ io: 'thread' });
    expect(relay.output() + handler.output()).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND|ERR_UNKNOWN_FILE_EXTENSION/);
  });
});
