import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ProxyDhcpServer, type ProxyDhcpStatus } from './dhcp/proxy-dhcp';
import { BootLoaderPresence, BootTree } from './files/boot-tree';
import { MemoryCache } from './files/memory-cache';
import { ServedFiles } from './files/served-files';
import { FirmwareStore } from './firmware/firmware-store';
import { FirmwareSync } from './firmware/firmware-sync';
import { createS3Client } from './firmware/s3-client';
import { HttpBootServer } from './http/server';
import type { Logger } from './observe/log';
import { Metrics } from './observe/metrics';
import { PeerHealth } from './observe/peer-health';
import type { RelaySettings } from './settings';
import { TerminalBoot } from './terminal-boot';
import { TftpServer } from './tftp/server';
import { CheckinReporter } from './upstream/checkin-reporter';
import { ConfigCache } from './upstream/config-cache';
import { ConfigFeed } from './upstream/config-feed';
import { HandlerConfigSource } from './upstream/handler-config-source';
import { handlerFetch } from './upstream/handler-fetch';
import { HandlerPool } from './upstream/handler-pool';
import { transportWarnings } from './upstream/transport-warnings';

/** How long a stopping relay with proxyDHCP keeps serving after its last offer (a boot takes a second or two). */
const SHUTDOWN_HANDOVER_MS = 2000;

export interface TftpStatus {
  activeTransfers: number;
  /** thread or node */
  io: string;
  threads: number;
}

/** What the process running the singletons reports, for /healthz in every process: null until each listens. */
export interface SingletonStatus {
  tftp: TftpStatus | null;
  proxyDhcp: ProxyDhcpStatus | null;
}

interface Singletons {
  /** null in a cluster worker that serves HTTP only. */
  tftpPort: number | null;
  dhcp: { dhcpPort: number; pxePort: number } | null;
}

export interface RunningRelay extends Singletons {
  httpPort: number;
  metrics: Metrics;
  /** Starts what the relay runs once, in this process (a cluster worker taking over from one that died). */
  takeSingletons(): Promise<Singletons>;
  /** Stops taking requests, lets transfers and responses in flight finish (bounded), stops timers. */
  shutdown(): Promise<void>;
}

export interface RelayHooks {
  /** How /metrics gets its text; a cluster worker asks the primary to add up all workers. */
  metricsText?: () => Promise<string>;
  /** How /healthz learns the singletons' status: a cluster worker that does not run them asks the one that does. */
  singletonStatus?: (local: () => SingletonStatus | null) => () => Promise<SingletonStatus | null>;
  /** The process's registry, when the caller needs it before the relay starts. */
  metrics?: Metrics;
  /**
   * Whether this process runs what a relay runs once (the default): TFTP, firmware sync, proxyDHCP.
   * TFTP is among them because all transfers belong in one process, with a transfer thread on every
   * core: a transfer then moves to the thread on its client's core, which it could not do across
   * processes.
   */
  runsSingletons?: boolean;
  worker?: number;
}

/** Wires one serving process: protocol servers on top of the configuration and file seams. */
export async function startRelay(settings: RelaySettings, log: Logger, hooks: RelayHooks = {}): Promise<RunningRelay> {
  const metrics = hooks.metrics ?? new Metrics();
  const started = Date.now();
  await mkdir(settings.cacheDir, { recursive: true });
  const memory = new MemoryCache(settings.memoryCacheBytes);
  const pool = new HandlerPool(settings.handlers, { ...settings.upstream, fetch: await handlerFetch(settings.upstream.caFile) }, log, metrics);
  const warnings = transportWarnings(settings.handlers, settings.token, process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0');
  // Said once a relay, by the process that starts first.
  if (hooks.runsSingletons !== false) for (const warning of warnings) log.warn('handler_transport_insecure', { warning });
  const configCache = new ConfigCache(join(settings.cacheDir, 'configs'));
  const feedStateFile = join(settings.cacheDir, 'config-feed.json');
  const s3 = createS3Client(settings.s3);
  const firmware = new FirmwareStore(join(settings.cacheDir, 'firmware'), s3, settings.s3.bucket, memory, log, metrics, settings.firmware.syncTimeoutMs);
  const configs = new HandlerConfigSource(
    pool,
    configCache,
    {
      relayId: settings.relayId,
      token: settings.token,
      requestTimeoutMs: settings.upstream.requestTimeoutMs,
      // Sync in the background; boot scripts wait for it themselves.
      onLiveDocument: (document) => {
        if (document.firmware) void firmware.ensure(document.firmware);
      },
    },
    log,
    metrics,
  );
  const checkins = new CheckinReporter(
    pool,
    { relayId: settings.relayId, token: settings.token, requestTimeoutMs: settings.upstream.requestTimeoutMs, debounceMs: 10_000 },
    log,
    metrics,
  );
  const boot = new TerminalBoot(configs, firmware, checkins, log, settings.firmware.syncTimeoutMs);
  const files = new ServedFiles(new BootTree(settings.bootDir, memory), boot, firmware);
  const peers = new PeerHealth(settings.peers, { intervalMs: settings.upstream.probeIntervalMs, timeoutMs: settings.upstream.requestTimeoutMs }, metrics);

  let tftp: TftpServer | null = null;
  let proxyDhcp: ProxyDhcpServer | null = null;
  // Set once each listens: /healthz says ready only then.
  const listening = { singletons: false, tftp: false, proxyDhcp: false };
  const localSingletons = (): SingletonStatus | null =>
    listening.singletons
      ? {
          tftp: tftp && listening.tftp ? { activeTransfers: tftp.activeTransfers, io: tftp.io, threads: tftp.threads } : null,
          proxyDhcp: proxyDhcp && listening.proxyDhcp ? proxyDhcp.status() : null,
        }
      : null;
  const singletonStatus = hooks.singletonStatus ? hooks.singletonStatus(localSingletons) : async () => localSingletons();
  // The loaders proxyDHCP would offer that the boot tree lacks: said at start and in /healthz, and not offered.
  const loaders = settings.proxyDhcp ? new BootLoaderPresence(settings.bootDir, [...new Set(settings.dhcp.bootFiles.values())]) : null;
  const http = new HttpBootServer({
    files,
    boot,
    relayId: settings.relayId,
    peers: settings.peers,
    log,
    metrics,
    settings: settings.http,
    metricsText: async () => (hooks.metricsText ? hooks.metricsText() : metrics.render()),
    health: async () => {
      const handlers = pool.snapshot().map((h) => ({
        url: h.url,
        healthy: h.healthyForBoots,
        srttMs: h.srttMs,
        lastError: h.lastError,
        refusesBoots: h.healthyForBoots || h.refusedUntil <= Date.now() ? null : h.refusedReason,
      }));
      const serving = await singletonStatus();
      // The process that follows the handlers' feed knows; the others read what it saved.
      const cache = feed ? feed.status() : await ConfigFeed.savedStatus(feedStateFile);
      // Ready once every protocol this relay serves listens (HTTP does: it is answering), and its cache is filled.
      const notReady = [...(serving?.tftp ? [] : ['tftp']), ...(settings.proxyDhcp && !serving?.proxyDhcp ? ['proxyDhcp'] : []), ...(cache?.ready ? [] : ['cache'])];
      const lackingLoaders = (await loaders?.lacking()) ?? [];
      return {
        status: notReady.length ? 503 : 200,
        body: {
          relayId: settings.relayId,
          status: handlers.some((h) => h.healthy) ? 'ok' : 'degraded',
          ready: notReady.length === 0,
          notReady,
          warnings: [...warnings, ...lackingLoaders.map((file) => `boot loader ${file} is not in RELAY_BOOT_DIR (${settings.bootDir}): proxyDHCP does not offer it`)],
          worker: hooks.worker ?? null,
          uptimeSeconds: Math.round((Date.now() - started) / 1000),
          handlers,
          peers: peers.snapshot(),
          tftp: serving?.tftp ?? null,
          proxyDhcp: serving?.proxyDhcp ?? null,
          firmware: { recentRejections: firmware.recentRejections },
          cache,
        },
      };
    },
  });
  metrics.gauge('relay_memory_cache_bytes', 'Bytes of served files held in memory.');
  metrics.onCollect(() => metrics.gauge('relay_memory_cache_bytes', '').set({}, memory.size));

  let syncTimer: NodeJS.Timeout | null = null;
  let feed: ConfigFeed | null = null;
  const singletons: Singletons = { tftpPort: null, dhcp: null };
  // What one process of a relay runs: TFTP (all transfers in one process), firmware sync, proxyDHCP.
  const startTftp = async () => {
    tftp = new TftpServer(files, { host: settings.host, port: settings.tftpPort, ...settings.tftp }, log, metrics);
    singletons.tftpPort = await tftp.listen();
    listening.tftp = true;
  };
  const startSyncAndProxyDhcp = async (httpPort: number) => {
    // Every terminal's firmware is kept in sync; then what no terminal needs any more is deleted.
    const firmwareSync = new FirmwareSync(firmware, () => configCache.firmwareOnDisk(), log);
    syncTimer = setInterval(() => void firmwareSync.syncAndSweep(), settings.firmware.syncIntervalMs);
    syncTimer.unref();
    // Every configured terminal's configuration and firmware, kept current from the handlers' feed.
    feed = new ConfigFeed(
      pool,
      configCache,
      {
        relayId: settings.relayId,
        token: settings.token,
        requestTimeoutMs: settings.upstream.requestTimeoutMs,
        pollIntervalMs: settings.upstream.configPollMs,
        pageSize: 500,
        stateFile: feedStateFile,
        afterChanges: async ({ firmware: named, sweep }) => {
          await firmwareSync.ensure(named);
          if (sweep) await firmwareSync.syncAndSweep();
        },
      },
      log,
      metrics,
    );
    feed.start();
    if (settings.proxyDhcp) {
      const lacking = await loaders!.lacking();
      if (lacking.length) log.warn('boot_loader_missing', { bootDir: settings.bootDir, missing: lacking, hint: 'apt install ipxe; cp /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/snponly.efi to RELAY_BOOT_DIR' });
      // mayOffer: silent until the cache is filled, and for a terminal it has nothing to serve from (the other relay answers).
      proxyDhcp = new ProxyDhcpServer(
        { ...settings.dhcp, dhcpPort: settings.dhcp.port, httpPort, relayId: settings.relayId, hasBootFile: (file) => loaders!.has(file), mayOffer: (mac) => feed!.mayOffer(mac) },
        log,
        metrics,
      );
      singletons.dhcp = await proxyDhcp.listen();
      listening.proxyDhcp = true;
    }
  };

  pool.start();
  peers.start();
  // TFTP listens before HTTP does: a relay whose /healthz answers serves every protocol.
  const runsSingletons = hooks.runsSingletons !== false;
  listening.singletons = runsSingletons;
  if (runsSingletons) await startTftp();
  const httpPort = await http.listen(settings.httpPort, settings.host);
  if (runsSingletons) await startSyncAndProxyDhcp(httpPort);

  return {
    get tftpPort() {
      return singletons.tftpPort;
    },
    httpPort,
    get dhcp() {
      return singletons.dhcp;
    },
    metrics,
    async takeSingletons() {
      if (!tftp) {
        listening.singletons = true;
        await startTftp();
        await startSyncAndProxyDhcp(httpPort);
      }
      return singletons;
    },
    async shutdown() {
      if (syncTimer) clearInterval(syncTimer);
      feed?.stop();
      await proxyDhcp?.close();
      // A terminal offered this relay a moment ago still fetches its loader and script here: keep
      // serving them for a short handover before the ports close (new terminals go to the peer now).
      if (settings.proxyDhcp) await new Promise((resolve) => setTimeout(resolve, Math.min(SHUTDOWN_HANDOVER_MS, settings.shutdownTimeoutMs)));
      await tftp?.stopListening();
      await Promise.all([http.close(settings.shutdownTimeoutMs), tftp?.drain(settings.shutdownTimeoutMs)]);
      pool.stop();
      peers.stop();
      s3.destroy();
    },
  };
}
