import { randomBytes } from 'node:crypto';
import { DhcpPort } from '../../infra/emulator/dhcp-port';
import { type StandInTerminalServer, startStandInTerminalServer } from '../../infra/emulator/stand-in-terminal-server';
import { generateToken } from '../../functions/domain/token';
import type { LicensePayload } from '../../functions/domain/license';
import { apiClient, type ApiClient, startHandler } from '../support/handler';
import { licensePayload, pairLicensePayload, testMac, testVendor, type TestVendor } from '../support/licensing';
import { eventually, settled, type Pair, type PairMember } from '../support/pair';
import { freePort } from '../support/ports';
import { randomFile, sha256, tempDir } from '../relay/support/files';
import { startTestRelay, type TestRelay } from '../relay/support/relay-process';
import { type FirmwareBucket, startFirmwareBucket } from '../relay/support/site';
import { startPeerLink, type PeerLink } from './peer-link';
import type { RelayTarget } from './terminal';

export type Mode = 'none' | 'mirrored' | 'full';

/** Terminal connections the site's licence grants each server that serves terminals. */
export const LICENSED_PER_SERVER = 3;
/** Configured terminals: more than the licence can admit on both servers together. */
export const TERMINALS = 8;

export interface DrillRelay extends RelayTarget {
  daemon: TestRelay;
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same cache. */
  restart(): Promise<void>;
}

/**
 * A site of one mode on loopback: the object store, two handler processes (primary `a`,
 * secondary `b`) that reach each other only through a PeerLink each, the mode's licence,
 * two relays with proxyDHCP listing both handlers, and two terminal servers. In mode `none`
 * the secondary exists too, as a second machine without redundancy in the licence.
 */
export interface DrillSite extends Pair {
  mode: Mode;
  vendor: TestVendor;
  store: FirmwareBucket;
  /** toA carries b's requests to a, toB a's requests to b. */
  links: { toA: PeerLink; toB: PeerLink };
  relays: DrillRelay[];
  /** The DHCP client port every emulated terminal of the site sends from and hears its answers on. */
  dhcp: DhcpPort;
  /** Each relay's token, accepted by both handlers (`relay-c` is for a relay a drill adds). */
  relayTokens: Record<string, string>;
  terminalServers: StandInTerminalServer[];
  macs: string[];
  /** Terminal id by MAC. */
  terminalIds: Map<string, string>;
  /** A relay of this site that is not in `relays`: with its own empty cache (the test stops it). */
  startRelay(id: string): Promise<DrillRelay>;
}

const handlerPortsFor = async () => ({ a: await freePort(), b: await freePort() });

/** The licence a site of `mode` runs under at start: the product the design's table names first. */
function siteLicence(mode: Mode, primary: string, secondary: string): LicensePayload {
  if (mode === 'none') return licensePayload(primary, { products: [{ product: 'terminal-connection', quantity: LICENSED_PER_SERVER, appliesTo: 'primary' }] });
  return pairLicensePayload(primary, secondary, mode, LICENSED_PER_SERVER);
}

/** How a site is built beyond its mode. */
export interface SiteOptions {
  /**
   * Each relay names the site's other relay (RELAY_PEERS), as a production site's do: a boot
   * script then chains the firmware from the other relay when its own stops meanwhile.
   */
  relayPeers?: boolean;
}

/** The relays every site runs (`relay-c` is one a drill adds). */
const SITE_RELAYS = ['relay-a', 'relay-b'];

export async function startDrillSite(mode: Mode, options: SiteOptions = {}): Promise<DrillSite> {
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    return await build(mode, options, cleanup);
  } catch (error) {
    for (const stop of cleanup.reverse()) await stop().catch(() => {});
    throw error;
  }
}

async function build(mode: Mode, options: SiteOptions, cleanup: Array<() => Promise<unknown>>): Promise<DrillSite> {
  const [vendor, store, ports, terminalServers] = await Promise.all([
    testVendor(),
    startFirmwareBucket(),
    handlerPortsFor(),
    Promise.all(['rds-1', 'rds-2'].map((name) => startStandInTerminalServer(name))),
  ]);
  // The same array as site.terminalServers, where a drill puts a restarted server.
  cleanup.push(() => store.close(), () => Promise.all(terminalServers.map((ts) => ts.stop())));
  const links = { toA: await startPeerLink(ports.a), toB: await startPeerLink(ports.b) };
  cleanup.push(() => links.toA.close(), () => links.toB.close());

  const common = { TANDEM_PEER_TOKEN: generateToken(), TANDEM_SYNC_INTERVAL_MS: '1000', TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey };
  const started = await Promise.allSettled([
    startHandler({ port: ports.a, readyTimeoutMs: 90_000, env: { ...common, TANDEM_SERVER_ID: 'server-a', TANDEM_ROLE: 'primary', TANDEM_PEER_URL: links.toB.url } }),
    startHandler({ port: ports.b, readyTimeoutMs: 90_000, env: { ...common, TANDEM_SERVER_ID: 'server-b', TANDEM_ROLE: 'secondary', TANDEM_PEER_URL: links.toA.url } }),
  ]);
  for (const s of started) if (s.status === 'fulfilled') cleanup.push(() => s.value.kill());
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  const [handlerA, handlerB] = started.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof startHandler>>>).value);
  const member = (handler: typeof handlerA): PairMember => ({ handler, admin: apiClient(handler.url, handler.adminToken) });

  // Tokens are per server: each relay's is registered on both before a mirrored secondary turns read-only.
  // Every relay answers DHCP to the one port the emulated terminals listen on.
  const dhcp = await DhcpPort.open(await freePort('udp'), '127.0.0.1');
  cleanup.push(() => dhcp.close());
  const relayTokens = { 'relay-a': generateToken(), 'relay-b': generateToken(), 'relay-c': generateToken() };
  const site = {
    mode,
    relayTokens,
    vendor,
    store,
    links,
    a: member(handlerA),
    b: member(handlerB),
    relays: [] as DrillRelay[],
    dhcp,
    terminalServers,
    macs: Array.from({ length: TERMINALS }, (_, i) => testMac(0x700 + i + 1)),
    terminalIds: new Map<string, string>(),
    startRelay,
    restart: async (which: 'a' | 'b') => (site[which] = member(await site[which].handler.restart())),
    stop: async () => {
      await Promise.all([site.a.handler.kill(), site.b.handler.kill()]);
    },
  } as DrillSite;
  for (const m of [site.a, site.b]) for (const [name, token] of Object.entries(relayTokens)) await must(m.admin.post('/api/v1/tokens', { role: 'relay', name, token }), `token ${name}`);

  const clientPort = dhcp.port;
  // Chosen before any relay starts, so that each can name the other's (RELAY_PEERS).
  const relayHttpPorts = new Map<string, number>();
  for (const id of SITE_RELAYS) relayHttpPorts.set(id, await freePort());
  async function startRelay(id: string): Promise<DrillRelay> {
    const bootDir = tempDir(`drill-boot-${id}`);
    randomFile(bootDir, 'snponly.efi', 64 * 1024);
    const [dhcpPort, pxePort, tftpPort, httpPort] = [await freePort('udp'), await freePort('udp'), await freePort('udp'), relayHttpPorts.get(id) ?? (await freePort())];
    const peers = SITE_RELAYS.filter((peer) => peer !== id).map((peer) => `http://127.0.0.1:${relayHttpPorts.get(peer)}`);
    const env = {
      RELAY_ID: id,
      RELAY_HANDLERS: `${site.a.handler.url},${site.b.handler.url}`,
      RELAY_TOKEN: relayTokens[id as keyof typeof relayTokens],
      RELAY_BOOT_DIR: bootDir,
      RELAY_CACHE_DIR: tempDir(`drill-cache-${id}`),
      RELAY_TFTP_PORT: String(tftpPort),
      RELAY_HTTP_PORT: String(httpPort),
      S3_ENDPOINT: store.url,
      S3_BUCKET: store.bucket,
      RELAY_PROXYDHCP: 'on',
      RELAY_DHCP_HOST: '127.0.0.1',
      RELAY_DHCP_PORT: String(dhcpPort),
      RELAY_PXE_PORT: String(pxePort),
      RELAY_DHCP_CLIENT_PORT: String(clientPort),
      RELAY_ADVERTISE_ADDRESS: '127.0.0.1',
      RELAY_PROBE_INTERVAL_MS: '200',
      RELAY_UPSTREAM_TIMEOUT_MS: '2000',
      ...(options.relayPeers ? { RELAY_PEERS: peers.join(',') } : {}),
    };
    const relay: DrillRelay = {
      id,
      daemon: await startTestRelay(env, { readyTimeoutMs: 90_000 }),
      endpoint: { url: `http://127.0.0.1:${httpPort}`, host: '127.0.0.1', tftpPort, dhcpPort, pxePort },
      stop: () => relay.daemon.stop(),
      restart: async () => {
        await relay.daemon.stop();
        relay.daemon = await startTestRelay(env, { readyTimeoutMs: 90_000 });
      },
    };
    cleanup.push(() => relay.daemon.stop());
    return relay;
  }
  const configure = async () => {
    const ids = await Promise.all([site.a, site.b].map(async (m) => (await m.admin.get('/api/v1/server')).body.installationId as string));
    await installLicence(site, await vendor.sign(siteLicence(mode, ids[0], ids[1])));
    await seed(site, site.a.admin);
    if (mode !== 'none') await settled(site);
  };
  // The relays start while the site is configured: they serve no terminal before the first drill boots one.
  const ready = await Promise.allSettled([configure(), ...SITE_RELAYS.map((id) => startRelay(id))]);
  for (const r of ready) if (r.status === 'rejected') throw r.reason;
  site.relays = ready.slice(1).map((r) => (r as PromiseFulfilledResult<DrillRelay>).value);

  const stopHandlers = site.stop;
  let stopping: Promise<void> | null = null;
  // Once, however often it is asked.
  site.stop = () =>
    (stopping ??= (async () => {
      for (const stop of cleanup.reverse()) await stop().catch(() => {});
      await stopHandlers();
    })());
  return site;
}

/** Installs a licence on the primary and waits until every server it binds runs under it. */
export async function installLicence(site: Pick<DrillSite, 'a' | 'b'>, file: unknown): Promise<void> {
  const installed = await site.a.admin.call('PUT', '/api/v1/license', file);
  if (installed.status !== 200) throw new Error(`installing the licence: ${installed.status} ${JSON.stringify(installed.body)}`);
  const payload = (file as { payload: LicensePayload }).payload;
  const mode = payload.edition === 'enterprise' ? 'full' : payload.redundancy;
  const bound = payload.installations.length === 2 ? [site.a, site.b] : [site.a];
  for (const m of bound)
    await eventually(m.admin, '/api/v1/license', (r) => r.body?.mode === mode && r.body?.license?.licenseId === payload.licenseId, `${m.handler.url} to run under ${payload.licenseId}`);
}

/**
 * The configuration every drill boots: two terminal servers behind one display client with
 * failover, a firmware image in the object store, a group, and the terminals.
 */
async function seed(site: DrillSite, admin: ApiClient): Promise<void> {
  const image = randomBytes(96 * 1024);
  await site.store.put('fw/drill-os-1.img', image);
  const servers = [];
  for (const ts of site.terminalServers) servers.push((await must(admin.post('/api/v1/terminal-servers', { name: ts.name, host: '127.0.0.1', port: ts.port }), ts.name)).body.id);
  const client = await must(admin.post('/api/v1/display-clients', { name: 'line-hmi', type: 'rdp', terminalServerIds: servers, failoverMode: 'failover' }), 'display client');
  const firmware = await must(
    admin.post('/api/v1/firmware-packages', { name: 'drill-os', packageVersion: '1.0', objectKey: 'fw/drill-os-1.img', sha256: sha256(image), size: image.length }),
    'firmware',
  );
  const group = await must(admin.post('/api/v1/groups', { name: 'plant', displayClientIds: [client.body.id], firmwarePackageId: firmware.body.id }), 'group');
  for (const [i, mac] of site.macs.entries()) {
    const made = await must(admin.post('/api/v1/terminals', { mac, name: `press-${i + 1}`, groupId: group.body.id }), `terminal ${mac}`);
    site.terminalIds.set(mac, made.body.id);
  }
}

async function must<T extends { status: number; body: unknown }>(res: Promise<T>, what: string): Promise<T> {
  const answer = await res;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}
