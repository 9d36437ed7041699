import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { objectStoreSettings, type ObjectStoreSettings } from '../functions/domain/object-store';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { secretWeakness } from '../functions/domain/secret-strength';
import { variableReader, type VariableDeclaration, type VariableName } from '../functions/domain/settings-table';
import { allowedCpus } from './cpu-affinity';
import { type BootFiles, bootFilesWith, DEFAULT_BOOT_FILES } from './dhcp/architectures';
import type { TftpTransferSettings } from './tftp/server';

/** Everything the relay can be told, read from the environment with defaults for the local system. */
export interface RelaySettings {
  relayId: string;
  handlers: string[];
  /** The other relays of the site (RELAY_PEERS), as base URLs: named in every boot script, their health in /healthz. */
  peers: string[];
  token: string | undefined;
  host: string;
  tftpPort: number;
  httpPort: number;
  proxyDhcp: boolean;
  dhcp: {
    /** Address the proxyDHCP sockets bind (broadcasts arrive only on 0.0.0.0). */
    host: string;
    port: number;
    pxePort: number;
    clientPort: number;
    /** The address terminals are told to boot from; null: the relay's address on the link each request comes in on. */
    advertiseAddress: string | null;
    /** The boot file offered per client architecture (option 93). */
    bootFiles: BootFiles;
    /** Where answers may go (relay agents, clients); null: the networks of the link each request comes in on. */
    networks: Cidr[] | null;
  };
  bootDir: string;
  cacheDir: string;
  s3: ObjectStoreSettings;
  /** Processes serving TFTP and HTTP (node:cluster); 1 runs everything in one process. */
  workers: number;
  /** The cores the relay may use (its affinity mask when it started). */
  cpus: number[];
  /** With several workers, each keeps to one core (worker i on the i-th usable core, modulo); so do transfer threads. */
  cpuAffinity: boolean;
  tftp: TftpTransferSettings;
  upstream: {
    probeIntervalMs: number;
    requestTimeoutMs: number;
    /** Failed probes or requests in a row before a handler counts as down. */
    downAfter: number;
    /** Good probes in a row before a down handler counts as up again. */
    upAfter: number;
    /** How long a handler that refused boots (redundancy_not_licensed) is skipped. */
    refusalCooldownMs: number;
    /** A plant's own CA (PEM file) handler certificates may be signed by, beside the system's CAs. */
    caFile: string | undefined;
    /** How often the relay asks a handler what changed in the terminals' configurations (its whole cache follows). */
    configPollMs: number;
  };
  firmware: { syncTimeoutMs: number; syncIntervalMs: number };
  http: {
    /** /config and /boot.ipxe from one source address: configBurst at once, then configPerMinute (0: no limit). */
    configBurst: number;
    configPerMinute: number;
    /** Sources the limit does not apply to: the relay's own host (health checks, a local proxy). */
    unlimitedSources: Cidr[];
    /** The bearer token /metrics asks for; undefined: /metrics is open. */
    metricsToken: string | undefined;
  };
  /** Bytes of served files held in memory per process. */
  memoryCacheBytes: number;
  shutdownTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class SettingsError extends Error {}

/** An address block: 10.20.0.0/24, or one address (/32, /128). */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** The blocks as one set to check addresses against (IPv4-mapped IPv6 addresses match their IPv4 block). */
export function addressSet(cidrs: Cidr[]): BlockList {
  const set = new BlockList();
  for (const c of cidrs) set.addSubnet(c.address, c.prefix, c.family);
  return set;
}


type Env = Record<string, string | undefined>;

const onePerCore = 'one per usable core, at most 8';

/**
 * Every RELAY_* variable (the object store's S3_* are in functions/domain/object-store.ts): the
 * reader below takes its defaults from here, and docs/configuration.md is generated from here.
 */
export const relayVariables = [
  { name: 'RELAY_ID', default: null, shown: 'the host name', description: 'this relay\'s name in logs and metrics (handlers record a relay under its token\'s name)' },
  { name: 'RELAY_HANDLERS', default: 'http://127.0.0.1:8787', description: 'both handlers of the deployment, comma-separated base URLs; the relay sends each request to the fastest healthy one' },
  {
    name: 'RELAY_PEERS',
    default: '',
    shown: 'none',
    description: 'the site\'s other relays, comma-separated HTTP base URLs: every boot script names them, so that a terminal whose relay dies after handing out its script boots from a peer',
  },
  { name: 'RELAY_TOKEN', default: null, description: 'a token with role `relay` (`npx tandem token create relay <name>`)' },
  { name: 'RELAY_CA_FILE', default: null, shown: 'unset: the system\'s CAs', description: 'PEM CA certificate(s) of a plant\'s own CA, trusted besides the system\'s CAs for the handlers\' certificates' },
  {
    name: 'RELAY_METRICS_TOKEN',
    default: null,
    shown: 'unset: /metrics is open',
    description: 'the bearer token `/metrics` asks for (32 characters or more, not a repeated pattern); `/healthz` stays open',
  },
  { name: 'RELAY_HOST', default: '0.0.0.0', description: 'the address TFTP and HTTP listen on' },
  { name: 'RELAY_TFTP_PORT', default: '69', description: 'the TFTP port (below 1024: root or `CAP_NET_BIND_SERVICE`)' },
  { name: 'RELAY_HTTP_PORT', default: '8080', description: 'the HTTP boot port (files, `/boot.ipxe`, `/config`, `/healthz`, `/metrics`)' },
  { name: 'RELAY_PROXYDHCP', default: 'off', description: '`on`: answer PXE clients (UDP 67 and 4011) beside the site\'s own DHCP server, with boot files and no addresses' },
  { name: 'RELAY_DHCP_HOST', default: '0.0.0.0', description: 'the address the proxyDHCP sockets bind (broadcasts arrive only on `0.0.0.0`)' },
  { name: 'RELAY_DHCP_PORT', default: '67', description: 'the proxyDHCP port of DHCP discovers' },
  { name: 'RELAY_PXE_PORT', default: '4011', description: 'the PXE boot-server port' },
  { name: 'RELAY_DHCP_CLIENT_PORT', default: '68', description: 'the port clients listen on for answers' },
  {
    name: 'RELAY_ADVERTISE_ADDRESS',
    default: null,
    shown: 'the relay\'s address on the link each request comes in on (`RELAY_HOST` when that is one address)',
    description: 'the IPv4 address proxyDHCP tells terminals to boot from',
  },
  {
    name: 'RELAY_DHCP_NETWORKS',
    default: null,
    shown: 'the networks of the link each request comes in on',
    description: 'comma-separated networks (`10.20.0.0/22`) proxyDHCP answers unicast to: list the relay agents\' networks when terminals come through them',
  },
  {
    name: 'RELAY_BOOT_FILES',
    default: null,
    shown: [...DEFAULT_BOOT_FILES].map(([arch, file]) => `\`${arch}=${file}\``).join(', '),
    description: 'the boot file per client architecture (DHCP option 93), paths in `RELAY_BOOT_DIR`, as changes to the defaults (`11=arm64/snponly.efi`; `0=` takes one away); an architecture with no file is not answered',
  },
  { name: 'RELAY_PXE_BIOS_FILE', default: null, shown: 'from `RELAY_BOOT_FILES`', description: 'the boot file of x86 BIOS clients (architecture 0)' },
  { name: 'RELAY_PXE_EFI_FILE', default: null, shown: 'from `RELAY_BOOT_FILES`', description: 'the boot file of x64 UEFI clients and their HTTP boot (architectures 7, 9, 16)' },
  { name: 'RELAY_BOOT_DIR', default: './boot', description: 'the boot loaders and other files served as they are' },
  {
    name: 'RELAY_CACHE_DIR',
    default: null,
    shown: '`./data/relay-<RELAY_ID>`',
    description: 'the last-known-good configurations and the verified firmware (systemd: the unit\'s state directory)',
  },
  { name: 'RELAY_WORKERS', default: null, shown: onePerCore, description: 'processes sharing the HTTP port (1 to 64); the first also serves TFTP and what runs once' },
  { name: 'RELAY_CPU_AFFINITY', default: 'on', description: 'worker *i* and transfer thread *i* keep to the *i*-th usable core' },
  { name: 'RELAY_TFTP_MAX_BLKSIZE', default: '1468', description: 'the largest `blksize` granted (a path MTU of 1500 allows 1468)' },
  { name: 'RELAY_TFTP_MAX_WINDOWSIZE', default: '64', description: 'the largest `windowsize` granted' },
  { name: 'RELAY_TFTP_MAX_TRANSFERS', default: '1000', description: 'transfers at once; then the oldest unacknowledged one makes way, or ERROR 3' },
  { name: 'RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE', default: '16', description: 'transfers at once from one address; its further requests get no answer' },
  { name: 'RELAY_TFTP_TIMEOUT_MS', default: '1000', description: 'the retransmission interval' },
  { name: 'RELAY_TFTP_MAX_TIMEOUT_S', default: '5', description: 'the largest `timeout` option granted; a longer one is left out of the OACK' },
  { name: 'RELAY_TFTP_FIRST_ACK_TIMEOUT_MS', default: '2000', description: 'a transfer whose client acknowledges nothing ends after this' },
  { name: 'RELAY_TFTP_CONFIG_BURST', default: '10', description: '`config/…` requests over TFTP from one address at once …' },
  { name: 'RELAY_TFTP_CONFIG_PER_MINUTE', default: '60', description: '… then this many a minute (0: no limit); more get no answer' },
  { name: 'RELAY_TFTP_RETRIES', default: '5', description: 'retransmissions of a block before a transfer ends' },
  { name: 'RELAY_TFTP_SEGMENTATION', default: 'on', description: 'a window as one segmented send (UDP GSO, Linux); `off`: a datagram a block' },
  { name: 'RELAY_TFTP_IO', default: 'thread', description: '`thread`: transfers in threads on plain system calls (Linux); `node`: Node\'s dgram' },
  { name: 'RELAY_TFTP_THREADS', default: null, shown: onePerCore, description: 'transfer threads (1 to 64)' },
  { name: 'RELAY_TFTP_BUSY_POLL_US', default: '100', description: 'poll this long for a quick client\'s next ACK while at most 4 transfers run; 0: never' },
  { name: 'RELAY_PROBE_INTERVAL_MS', default: '2000', description: 'how often each handler\'s and each peer\'s `/healthz` is asked' },
  { name: 'RELAY_UPSTREAM_TIMEOUT_MS', default: '3000', description: 'a request to a handler fails over to the next after this long' },
  { name: 'RELAY_HANDLER_DOWN_AFTER', default: '2', description: 'failures in a row before a handler counts as down' },
  { name: 'RELAY_HANDLER_UP_AFTER', default: '2', description: 'good probes in a row before it counts as up again' },
  { name: 'RELAY_REFUSAL_COOLDOWN_MS', default: '30000', description: 'how long a handler that refused boots (`redundancy_not_licensed`) is skipped' },
  { name: 'RELAY_CONFIG_POLL_MS', default: '2000', description: 'how often the relay asks a handler what changed in the terminals\' configurations (its whole cache follows)' },
  { name: 'RELAY_FIRMWARE_SYNC_TIMEOUT_MS', default: '120000', description: 'the longest one firmware download may take' },
  { name: 'RELAY_FIRMWARE_SYNC_INTERVAL_MS', default: '300000', description: 'how often the firmware of every cached configuration is synced and what none names is deleted' },
  { name: 'RELAY_HTTP_CONFIG_BURST', default: '10', description: '`/config` and `/boot.ipxe` requests from one address at once …' },
  { name: 'RELAY_HTTP_CONFIG_PER_MINUTE', default: '60', description: '… then this many a minute (0: no limit); more get 429 with `Retry-After`' },
  { name: 'RELAY_HTTP_UNLIMITED_SOURCES', default: '127.0.0.1,::1', description: 'addresses or networks the HTTP limit does not apply to (this host: health checks, a local proxy)' },
  { name: 'RELAY_MEMORY_CACHE_MB', default: '512', description: 'megabytes of served files held in memory, per worker' },
  { name: 'RELAY_SHUTDOWN_TIMEOUT_MS', default: '30000', description: 'on SIGTERM, how long transfers and responses in flight may take to finish' },
  { name: 'RELAY_LOG_LEVEL', default: 'info', description: '`debug`, `info`, `warn` or `error`' },
] as const satisfies readonly VariableDeclaration[];

type RelayVariable = VariableName<typeof relayVariables>;
const read = variableReader(relayVariables);

/** A whole number within bounds; `computed`: the default when the table has none (it depends on the host). */
function integer(env: Env, name: RelayVariable, min: number, max: number, computed?: number): number {
  const text = read(env, name);
  if (text === undefined) return computed!;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function onOff(env: Env, name: RelayVariable): boolean {
  const text = read(env, name)!.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(text)) return true;
  if (['off', 'false', '0', 'no'].includes(text)) return false;
  throw new SettingsError(`${name} must be on or off, got ${JSON.stringify(env[name])}`);
}

function oneOf<T extends string>(env: Env, name: RelayVariable, allowed: readonly T[]): T {
  const text = read(env, name)!.toLowerCase();
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new SettingsError(`${name} must be ${allowed.join(' or ')}, got ${JSON.stringify(env[name])}`);
}

/** A comma-separated list of address blocks (address/prefix, or an address alone). */
function cidrList(env: Env, name: RelayVariable): Cidr[] | null {
  const text = read(env, name)?.trim();
  if (text === undefined || text === '') return null;
  return text.split(',').map((item) => {
    const [address, bits, ...rest] = item.trim().split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
    const max = family === 'ipv6' ? 128 : 32;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!family || rest.length || !(prefix >= 0 && prefix <= max)) {
      throw new SettingsError(`${name}: ${JSON.stringify(item.trim())} is not an address or address/prefix (e.g. 10.20.0.0/24)`);
    }
    return { address, prefix, family };
  });
}

/** A comma-separated list of http(s) base URLs, without trailing slashes. */
function urlList(env: Env, name: RelayVariable): string[] {
  const urls = read(env, name)!
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const url of urls) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new SettingsError(`${name}: ${JSON.stringify(url)} is not an http(s) URL`);
  }
  return urls;
}

/** A secret the operator chooses, strong enough to guard what it guards (the handler's rule). */
function secret(env: Env, name: RelayVariable): string | undefined {
  const value = read(env, name);
  if (!value) return undefined;
  const weakness = secretWeakness(value);
  if (weakness) throw new SettingsError(`${name} is too weak: ${weakness} (e.g. openssl rand -base64 32)`);
  return value;
}

/**
 * The object store. The local store's well-known credentials are used only where it runs, on
 * this host: any other store without credentials of its own is refused, not tried with them
 * (the rule the handler's firmware uploads share, in functions/domain/object-store.ts).
 */
function objectStore(env: Env): RelaySettings['s3'] {
  return objectStoreSettings(env, (message) => {
    throw new SettingsError(message);
  });
}

/** RELAY_PXE_BIOS_FILE and RELAY_PXE_EFI_FILE (x86 BIOS; x64 UEFI and its HTTP boot), then RELAY_BOOT_FILES per architecture. */
function bootFiles(env: Env): BootFiles {
  let files = DEFAULT_BOOT_FILES;
  const changes: Array<[string, string]> = [
    ['RELAY_PXE_BIOS_FILE', read(env, 'RELAY_PXE_BIOS_FILE') ? `0=${read(env, 'RELAY_PXE_BIOS_FILE')}` : ''],
    ['RELAY_PXE_EFI_FILE', read(env, 'RELAY_PXE_EFI_FILE') ? [7, 9, 16].map((arch) => `${arch}=${read(env, 'RELAY_PXE_EFI_FILE')}`).join(',') : ''],
    ['RELAY_BOOT_FILES', read(env, 'RELAY_BOOT_FILES') ?? ''],
  ];
  for (const [name, text] of changes) {
    const read = bootFilesWith(text, files);
    if ('error' in read) throw new SettingsError(`${name}: ${read.error}`);
    files = read.files;
  }
  return files;
}

/** RELAY_ADVERTISE_ADDRESS, else the one address the relay listens on (RELAY_HOST), else null: decided per request. */
function advertiseAddress(env: Env): string | null {
  const address = read(env, 'RELAY_ADVERTISE_ADDRESS')?.trim();
  if (address && !isIPv4(address)) throw new SettingsError(`RELAY_ADVERTISE_ADDRESS must be an IPv4 address, got ${JSON.stringify(address)}`);
  const host = read(env, 'RELAY_HOST')!;
  return address || (host !== '0.0.0.0' ? host : null);
}

/** The cores this process may run on, in order. */
function usableCpus(): number[] {
  return allowedCpus() ?? Array.from({ length: availableParallelism() }, (_, i) => i);
}

export function readSettings(env: Env, hostname: string, cpus = usableCpus()): RelaySettings {
  const relayId = read(env, 'RELAY_ID') ?? hostname;
  const handlers = urlList(env, 'RELAY_HANDLERS');
  const peers = urlList(env, 'RELAY_PEERS');
  const cpuAffinity = onOff(env, 'RELAY_CPU_AFFINITY');
  const transferThreads = integer(env, 'RELAY_TFTP_THREADS', 1, 64, Math.max(1, Math.min(cpus.length, 8)));
  const logLevel = read(env, 'RELAY_LOG_LEVEL') as RelaySettings['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new SettingsError('RELAY_LOG_LEVEL must be debug, info, warn or error');
  return {
    relayId,
    handlers,
    peers,
    token: read(env, 'RELAY_TOKEN'),
    host: read(env, 'RELAY_HOST')!,
    tftpPort: integer(env, 'RELAY_TFTP_PORT', 0, 65535),
    httpPort: integer(env, 'RELAY_HTTP_PORT', 0, 65535),
    proxyDhcp: onOff(env, 'RELAY_PROXYDHCP'),
    dhcp: {
      host: read(env, 'RELAY_DHCP_HOST')!,
      port: integer(env, 'RELAY_DHCP_PORT', 0, 65535),
      pxePort: integer(env, 'RELAY_PXE_PORT', 0, 65535),
      clientPort: integer(env, 'RELAY_DHCP_CLIENT_PORT', 1, 65535),
      advertiseAddress: advertiseAddress(env),
      bootFiles: bootFiles(env),
      networks: cidrList(env, 'RELAY_DHCP_NETWORKS'),
    },
    bootDir: read(env, 'RELAY_BOOT_DIR')!,
    cacheDir: read(env, 'RELAY_CACHE_DIR') ?? join('./data', `relay-${relayId.replace(/[^A-Za-z0-9._-]/g, '_')}`),
    s3: objectStore(env),
    workers: integer(env, 'RELAY_WORKERS', 1, 64, Math.max(1, Math.min(cpus.length, 8))),
    cpus,
    cpuAffinity,
    tftp: {
      maxBlksize: integer(env, 'RELAY_TFTP_MAX_BLKSIZE', 8, 65464),
      maxWindowsize: integer(env, 'RELAY_TFTP_MAX_WINDOWSIZE', 1, 65535),
      maxTransfers: integer(env, 'RELAY_TFTP_MAX_TRANSFERS', 1, 100000),
      maxTransfersPerSource: integer(env, 'RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE', 1, 100000),
      timeoutMs: integer(env, 'RELAY_TFTP_TIMEOUT_MS', 10, 255000),
      maxTimeoutSeconds: integer(env, 'RELAY_TFTP_MAX_TIMEOUT_S', 1, 255),
      firstAckTimeoutMs: integer(env, 'RELAY_TFTP_FIRST_ACK_TIMEOUT_MS', 20, 510000),
      configBurst: integer(env, 'RELAY_TFTP_CONFIG_BURST', 1, 100000),
      configPerMinute: integer(env, 'RELAY_TFTP_CONFIG_PER_MINUTE', 0, 1000000),
      retries: integer(env, 'RELAY_TFTP_RETRIES', 1, 100),
      segmentation: onOff(env, 'RELAY_TFTP_SEGMENTATION'),
      io: oneOf(env, 'RELAY_TFTP_IO', ['thread', 'node'] as const),
      busyPollUs: integer(env, 'RELAY_TFTP_BUSY_POLL_US', 0, 10000),
      // One thread a core, each kept to its core; one thread, or no pinning: where the scheduler puts them.
      threadCpus: Array.from({ length: transferThreads }, (_, i) => (cpuAffinity && transferThreads > 1 ? cpus[i % cpus.length] : null)),
    },
    upstream: {
      probeIntervalMs: integer(env, 'RELAY_PROBE_INTERVAL_MS', 50, 3600000),
      requestTimeoutMs: integer(env, 'RELAY_UPSTREAM_TIMEOUT_MS', 50, 120000),
      downAfter: integer(env, 'RELAY_HANDLER_DOWN_AFTER', 1, 100),
      upAfter: integer(env, 'RELAY_HANDLER_UP_AFTER', 1, 100),
      refusalCooldownMs: integer(env, 'RELAY_REFUSAL_COOLDOWN_MS', 0, 3600000),
      caFile: read(env, 'RELAY_CA_FILE'),
      configPollMs: integer(env, 'RELAY_CONFIG_POLL_MS', 100, 3600000),
    },
    firmware: {
      syncTimeoutMs: integer(env, 'RELAY_FIRMWARE_SYNC_TIMEOUT_MS', 100, 3600000),
      syncIntervalMs: integer(env, 'RELAY_FIRMWARE_SYNC_INTERVAL_MS', 1000, 86400000),
    },
    http: {
      configBurst: integer(env, 'RELAY_HTTP_CONFIG_BURST', 1, 100000),
      configPerMinute: integer(env, 'RELAY_HTTP_CONFIG_PER_MINUTE', 0, 1000000),
      unlimitedSources: cidrList(env, 'RELAY_HTTP_UNLIMITED_SOURCES')!,
      metricsToken: secret(env, 'RELAY_METRICS_TOKEN'),
    },
    memoryCacheBytes: integer(env, 'RELAY_MEMORY_CACHE_MB', 0, 65536) * 1024 * 1024,
    shutdownTimeoutMs: integer(env, 'RELAY_SHUTDOWN_TIMEOUT_MS', 0, 3600000),
    logLevel,
  };
}
