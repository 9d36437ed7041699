import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { objectStoreSettings, type ObjectStoreSettings } from '../functions/domain/object-store';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { secretWeakness } from '../functions/domain/secret-strength';
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

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name]?.toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (['on', 'true', '1', 'yes'].includes(text)) return true;
  if (['off', 'false', '0', 'no'].includes(text)) return false;
  throw new SettingsError(`${name} must be on or off, got ${JSON.stringify(env[name])}`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const text = env[name]?.toLowerCase();
  if (text === undefined || text === '') return fallback;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new SettingsError(`${name} must be ${allowed.join(' or ')}, got ${JSON.stringify(env[name])}`);
}

/** A comma-separated list of address blocks (address/prefix, or an address alone). */
function cidrList(env: Env, name: string): Cidr[] | null {
  const text = env[name]?.trim();
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
function urlList(env: Env, name: string, fallback: string): string[] {
  const urls = (env[name] || fallback)
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const url of urls) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new SettingsError(`${name}: ${JSON.stringify(url)} is not an http(s) URL`);
  }
  return urls;
}

/** A secret the operator chooses, strong enough to guard what it guards (the handler's rule). */
function secret(env: Env, name: string): string | undefined {
  const value = env[name];
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
    ['RELAY_PXE_BIOS_FILE', env.RELAY_PXE_BIOS_FILE ? `0=${env.RELAY_PXE_BIOS_FILE}` : ''],
    ['RELAY_PXE_EFI_FILE', env.RELAY_PXE_EFI_FILE ? [7, 9, 16].map((arch) => `${arch}=${env.RELAY_PXE_EFI_FILE}`).join(',') : ''],
    ['RELAY_BOOT_FILES', env.RELAY_BOOT_FILES ?? ''],
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
  const address = env.RELAY_ADVERTISE_ADDRESS?.trim();
  if (address && !isIPv4(address)) throw new SettingsError(`RELAY_ADVERTISE_ADDRESS must be an IPv4 address, got ${JSON.stringify(address)}`);
  return address || (env.RELAY_HOST && env.RELAY_HOST !== '0.0.0.0' ? env.RELAY_HOST : null);
}

/** The cores this process may run on, in order. */
function usableCpus(): number[] {
  return allowedCpus() ?? Array.from({ length: availableParallelism() }, (_, i) => i);
}

export function readSettings(env: Env, hostname: string, cpus = usableCpus()): RelaySettings {
  const relayId = env.RELAY_ID || hostname;
  const handlers = urlList(env, 'RELAY_HANDLERS', 'http://127.0.0.1:8787');
  const peers = urlList(env, 'RELAY_PEERS', '');
  const cpuAffinity = onOff(env, 'RELAY_CPU_AFFINITY', true);
  const transferThreads = integer(env, 'RELAY_TFTP_THREADS', Math.max(1, Math.min(cpus.length, 8)), 1, 64);
  const logLevel = (env.RELAY_LOG_LEVEL || 'info') as RelaySettings['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new SettingsError('RELAY_LOG_LEVEL must be debug, info, warn or error');
  return {
    relayId,
    handlers,
    peers,
    token: env.RELAY_TOKEN || undefined,
    host: env.RELAY_HOST || '0.0.0.0',
    tftpPort: integer(env, 'RELAY_TFTP_PORT', 69, 0, 65535),
    httpPort: integer(env, 'RELAY_HTTP_PORT', 8080, 0, 65535),
    proxyDhcp: onOff(env, 'RELAY_PROXYDHCP', false),
    dhcp: {
      host: env.RELAY_DHCP_HOST || '0.0.0.0',
      port: integer(env, 'RELAY_DHCP_PORT', 67, 0, 65535),
      pxePort: integer(env, 'RELAY_PXE_PORT', 4011, 0, 65535),
      clientPort: integer(env, 'RELAY_DHCP_CLIENT_PORT', 68, 1, 65535),
      advertiseAddress: advertiseAddress(env),
      bootFiles: bootFiles(env),
      networks: cidrList(env, 'RELAY_DHCP_NETWORKS'),
    },
    bootDir: env.RELAY_BOOT_DIR || './boot',
    cacheDir: env.RELAY_CACHE_DIR || join('./data', `relay-${relayId.replace(/[^A-Za-z0-9._-]/g, '_')}`),
    s3: objectStore(env),
    workers: integer(env, 'RELAY_WORKERS', Math.max(1, Math.min(cpus.length, 8)), 1, 64),
    cpus,
    cpuAffinity,
    tftp: {
      maxBlksize: integer(env, 'RELAY_TFTP_MAX_BLKSIZE', 1468, 8, 65464),
      maxWindowsize: integer(env, 'RELAY_TFTP_MAX_WINDOWSIZE', 64, 1, 65535),
      maxTransfers: integer(env, 'RELAY_TFTP_MAX_TRANSFERS', 1000, 1, 100000),
      maxTransfersPerSource: integer(env, 'RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE', 16, 1, 100000),
      timeoutMs: integer(env, 'RELAY_TFTP_TIMEOUT_MS', 1000, 10, 255000),
      maxTimeoutSeconds: integer(env, 'RELAY_TFTP_MAX_TIMEOUT_S', 5, 1, 255),
      firstAckTimeoutMs: integer(env, 'RELAY_TFTP_FIRST_ACK_TIMEOUT_MS', 2000, 20, 510000),
      configBurst: integer(env, 'RELAY_TFTP_CONFIG_BURST', 10, 1, 100000),
      configPerMinute: integer(env, 'RELAY_TFTP_CONFIG_PER_MINUTE', 60, 0, 1000000),
      retries: integer(env, 'RELAY_TFTP_RETRIES', 5, 1, 100),
      segmentation: onOff(env, 'RELAY_TFTP_SEGMENTATION', true),
      io: oneOf(env, 'RELAY_TFTP_IO', 'thread', ['thread', 'node'] as const),
      busyPollUs: integer(env, 'RELAY_TFTP_BUSY_POLL_US', 100, 0, 10000),
      // One thread a core, each kept to its core; one thread, or no pinning: where the scheduler puts them.
      threadCpus: Array.from({ length: transferThreads }, (_, i) => (cpuAffinity && transferThreads > 1 ? cpus[i % cpus.length] : null)),
    },
    upstream: {
      probeIntervalMs: integer(env, 'RELAY_PROBE_INTERVAL_MS', 2000, 50, 3600000),
      requestTimeoutMs: integer(env, 'RELAY_UPSTREAM_TIMEOUT_MS', 3000, 50, 120000),
      downAfter: integer(env, 'RELAY_HANDLER_DOWN_AFTER', 2, 1, 100),
      upAfter: integer(env, 'RELAY_HANDLER_UP_AFTER', 2, 1, 100),
      refusalCooldownMs: integer(env, 'RELAY_REFUSAL_COOLDOWN_MS', 30000, 0, 3600000),
      caFile: env.RELAY_CA_FILE || undefined,
      configPollMs: integer(env, 'RELAY_CONFIG_POLL_MS', 2000, 100, 3600000),
    },
    firmware: {
      syncTimeoutMs: integer(env, 'RELAY_FIRMWARE_SYNC_TIMEOUT_MS', 120000, 100, 3600000),
      syncIntervalMs: integer(env, 'RELAY_FIRMWARE_SYNC_INTERVAL_MS', 300000, 1000, 86400000),
    },
    http: {
      configBurst: integer(env, 'RELAY_HTTP_CONFIG_BURST', 10, 1, 100000),
      configPerMinute: integer(env, 'RELAY_HTTP_CONFIG_PER_MINUTE', 60, 0, 1000000),
      unlimitedSources: cidrList(env, 'RELAY_HTTP_UNLIMITED_SOURCES') ?? [
        { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
      ],
      metricsToken: secret(env, 'RELAY_METRICS_TOKEN'),
    },
    memoryCacheBytes: integer(env, 'RELAY_MEMORY_CACHE_MB', 512, 0, 65536) * 1024 * 1024,
    shutdownTimeoutMs: integer(env, 'RELAY_SHUTDOWN_TIMEOUT_MS', 30000, 0, 3600000),
    logLevel,
  };
}
