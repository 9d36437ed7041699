import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInTerminalServer, type StandInTerminalServer } from '../../../infra/emulator/stand-in-terminal-server';
import { DEMO_PRIVATE_KEY_FILE } from '../../../infra/demo/install-demo-license';
import { issueLicense } from '../../../infra/license/issue';
import type { ApiClient } from '../../support/handler';
import { freePort } from '../../support/ports';
import { randomFile, sha256, tempDir } from '../../relay/support/files';
import type { TestRelay } from '../../relay/support/relay-process';
import { type FirmwareSite, startFirmwareSite } from '../../relay/support/site';

export interface EmulatorSite {
  site: FirmwareSite;
  relays: { a: TestRelay; b: TestRelay };
  /** Per relay: its HTTP base URL and the ports the emulator needs. */
  endpoints: { a: RelayPorts; b: RelayPorts };
  clientPort: number;
  terminalServers: StandInTerminalServer[];
  firmware: Buffer;
  macs: string[];
  /** The relays' boot tree (RELAY_BOOT_DIR). */
  bootDir: string;
  /** `npx tandem emulate` arguments that reach both relays (by proxyDHCP or as a list). */
  emulateArgs(mode: 'proxy-dhcp' | 'list'): string[];
  stop(): Promise<void>;
}

export interface RelayPorts {
  url: string;
  tftpPort: number;
  dhcpPort: number;
  pxePort: number;
}

/** Creates the terminal servers, a display client over them, a group with the firmware and the terminals. */
async function seed(admin: ApiClient, macs: string[], servers: StandInTerminalServer[], firmware: { key: string; sha256: string; size: number }, failoverMode: string): Promise<void> {
  const must = async (path: string, body: unknown) => {
    const res = await admin.post(path, body);
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const ids = [];
  for (const s of servers) ids.push((await must('/api/v1/terminal-servers', { name: s.name, host: '127.0.0.1', port: s.port })).id);
  const client = await must('/api/v1/display-clients', { name: 'line-desktop', type: 'rdp', terminalServerIds: ids, failoverMode });
  const fw = await must('/api/v1/firmware-packages', { name: 'tandem-os', packageVersion: '2.0', objectKey: firmware.key, sha256: firmware.sha256, size: firmware.size });
  const group = await must('/api/v1/groups', { name: 'line-1', displayClientIds: [client.id], firmwarePackageId: fw.id });
  for (let i = 0; i < macs.length; i += 8) await Promise.all(macs.slice(i, i + 8).map((mac, j) => must('/api/v1/terminals', { mac, name: `station-${i + j + 1}`, groupId: group.id })));
  // A licence for every terminal and a few more (the demo key, which a test handler trusts).
  const { installationId } = (await admin.get('/api/v1/server')).body;
  const licence = await issueLicense(
    { customer: 'emulator site', redundancy: 'none', primary: installationId, products: [{ product: 'terminal-connection', quantity: macs.length + 20, appliesTo: 'primary' }], expiresAt: null },
    readFileSync(DEMO_PRIVATE_KEY_FILE, 'utf8'),
  );
  const installed = await admin.call('PUT', '/api/v1/license', licence);
  if (installed.status !== 200) throw new Error(`installing the licence: ${JSON.stringify(installed.body)}`);
}

/**
 * A real site for the emulator: a handler, the object store with a firmware image, two relays
 * that name each other (RELAY_PEERS) with proxyDHCP on, each on its own ports, answering DHCP on
 * one client port, and terminal servers as TCP listeners.
 */
export async function startEmulatorSite(options: { terminals: number; firmwareBytes?: number; failoverMode?: string; relayEnv?: Record<string, string> }): Promise<EmulatorSite> {
  const site = await startFirmwareSite();
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const firmware = randomBytes(options.firmwareBytes ?? 2 * 1024 * 1024 + 7);
    await site.store.put('fw/tandem-os-2.0.img', firmware);
    const terminalServers = [await startStandInTerminalServer('rds-a'), await startStandInTerminalServer('rds-b'), await startStandInTerminalServer('rds-c')];
    started.push(...terminalServers);
    const macs = Array.from({ length: options.terminals }, (_, i) => `02:00:00:aa:${((i + 1) >> 8).toString(16).padStart(2, '0')}:${((i + 1) & 255).toString(16).padStart(2, '0')}`);
    await seed(site.admin, macs, terminalServers, { key: 'fw/tandem-os-2.0.img', sha256: sha256(firmware), size: firmware.length }, options.failoverMode ?? 'failover');

    const boot = tempDir('emulator-boot');
    // Debian's iPXE builds when the machine has them (the tests install them), else stand-ins of their size.
    for (const [loader, size] of [['snponly.efi', 173_792], ['undionly.kpxe', 74_213]] as const) {
      if (existsSync(`/usr/lib/ipxe/${loader}`)) copyFileSync(`/usr/lib/ipxe/${loader}`, join(boot, loader));
      else randomFile(boot, loader, size);
    }
    const clientPort = await freePort('udp');
    const ports = async (): Promise<RelayPorts & { httpPort: number }> => {
      const httpPort = await freePort();
      return { httpPort, url: `http://127.0.0.1:${httpPort}`, tftpPort: await freePort('udp'), dhcpPort: await freePort('udp'), pxePort: await freePort('udp') };
    };
    const endpoints = { a: await ports(), b: await ports() };
    const relay = (id: 'a' | 'b', peer: RelayPorts) =>
      site.startRelay({
        RELAY_ID: `relay-${id}`,
        RELAY_BOOT_DIR: boot,
        RELAY_HTTP_PORT: String(endpoints[id].httpPort),
        RELAY_TFTP_PORT: String(endpoints[id].tftpPort),
        RELAY_PEERS: peer.url,
        RELAY_PROXYDHCP: 'on',
        RELAY_DHCP_HOST: '127.0.0.1',
        RELAY_DHCP_PORT: String(endpoints[id].dhcpPort),
        RELAY_PXE_PORT: String(endpoints[id].pxePort),
        RELAY_DHCP_CLIENT_PORT: String(clientPort),
        RELAY_ADVERTISE_ADDRESS: '127.0.0.1',
        RELAY_DHCP_NETWORKS: '127.0.0.0/8',
        ...options.relayEnv,
      });
    const a = await relay('a', endpoints.b);
    started.push(a);
    const b = await relay('b', endpoints.a);
    started.push(b);
    const list = (key: keyof RelayPorts) => `${endpoints.a[key]},${endpoints.b[key]}`;
    return {
      site,
      relays: { a, b },
      endpoints,
      clientPort,
      terminalServers,
      firmware,
      macs,
      bootDir: boot,
      emulateArgs: (mode) => [
        '--relays',
        list('url'),
        '--tftp-port',
        list('tftpPort'),
        ...(mode === 'proxy-dhcp' ? ['--proxy-dhcp', '--dhcp-port', list('dhcpPort'), '--pxe-port', list('pxePort'), '--client-port', String(clientPort)] : []),
      ],
      async stop() {
        await Promise.all(started.map((s) => s.stop().catch(() => {})));
        await site.stop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop().catch(() => {})));
    await site.stop();
    throw error;
  }
}
