import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ProxyDhcpServer } from './dhcp/proxy-dhcp';
import { BootTree } from './files/boot-tree';
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

export interface TftpStatus {
  activeTransfers: number;
  /** thread or node */
  io: string;
  threads: number;
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
  /** How /healthz learns the TFTP status: a cluster worker that does not serve TFTP asks the one that does. */
  tftpStatus?: (local: () => TftpStatus | null) => () => Promise<TftpStatus | null>;
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
  const localTftp = (): TftpStatus | null => (tftp ? { activeTransfers: tftp.activeTransfers, io: tftp.io, threads: tftp.threads } : null);
  const tftpStatus = hooks.tftpStatus ? hooks.tftpStatus(localTftp) : async () => localTftp();
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
      return {
        status: 200,
        body: {
          relayId: settings.relayId,
          status: handlers.some((h) => h.healthy) ? 'ok' : 'degraded',
          warnings,
          worker: hooks.worker ?? null,
          uptimeSeconds: Math.round((Date.now() - started) / 1000),
          handlers,
          peers: peers.snapshot(),
          tftp: await tftpStatus(),
          firmware: { recentRejections: firmware.recentRejections },
          // The process that follows the handlers' feed knows; the others read what it saved.
          cache: feed ? feed.status() : await ConfigFeed.savedStatus(feedStateFile),
        },
      };
    },
  });
  metrics.gauge('relay_memory_cache_bytes', 'Bytes of served files held in memory.');
  metrics.onCollect(() => metrics.gauge('relay_memory_cache_bytes', '').set({}, memory.size));

  let syncTimer: NodeJS.Timeout | null = null;
  let feed: ConfigFeed | null = null;
  let proxyDhcp: ProxyDhcpServer | null = null;
  const singletons: Singletons = { tftpPort: null, dhcp: null };
  // What one process of a relay runs: TFTP (all transfers in one process), firmware sync, proxyDHCP.
  const startTftp = async () => {
    tftp = new TftpServer(files, { host: settings.host, port: settings.tftpPort, ...settings.tftp }, log, metrics);
    singletons.tftpPort = await tftp.listen();
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
      // mayOffer: silent until the cache is filled, and for a terminal it has nothing to serve from (the other relay answers).
      proxyDhcp = new ProxyDhcpServer(
        { ...settings.dhcp, dhcpPort: settings.dhcp.port, httpPort, relayId: settings.relayId, mayOffer: (mac) => feed!.mayOffer(mac) },
        log,
        metrics,
      );
      singletons.dhcp = await proxyDhcp.listen();
    }
  };

  pool.start();
  peers.start();
  // TFTP listens before HTTP does: a relay whose /healthz answers serves every protocol.
  const runsSingletons = hooks.runsSingletons !== false;
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
        await startTftp();
        await startSyncAndProxyDhcp(httpPort);
      }
      return singletons;
    },
    async shutdown() {
      if (syncTimer) clearInterval(syncTimer);
      feed?.stop();
      await proxyDhcp?.close();
      await tftp?.stopListening();
      await Promise.all([http.close(settings.shutdownTimeoutMs), tftp?.drain(settings.shutdownTimeoutMs)]);
      pool.stop();
      peers.stop();
      s3.destroy();
    },
  };
}
