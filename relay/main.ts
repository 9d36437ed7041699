import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { onTakeSingletons, runPrimary, SINGLETON_ENV, SLOT_ENV, workerMetrics, workerStatus } from './cluster';
import { pinToCpu } from './cpu-affinity';
import { quietSdkNodeWarning } from '../functions/domain/object-store';
import { createLogger } from './observe/log';
import { Metrics } from './observe/metrics';
import { startRelay } from './relay';
import { readSettings, SettingsError } from './settings';

/** `npm run relay`: reads the environment, starts the relay (one process per core), stops gracefully. */
async function main(): Promise<void> {
  let settings;
  try {
    settings = readSettings(process.env, hostname());
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`relay: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const worker = cluster.isWorker ? cluster.worker!.id : null;
  const log = createLogger({ service: 'relay', relayId: settings.relayId, pid: process.pid, ...(worker ? { worker } : {}) }, settings.logLevel);
  const nodeNote = quietSdkNodeWarning(process.env, process.version);
  if (nodeNote && !worker) log.warn('node_version_support', { detail: nodeNote });

  if (cluster.isPrimary && settings.workers > 1) {
    log.info('relay_starting', { workers: settings.workers, tftpPort: settings.tftpPort, httpPort: settings.httpPort, handlers: settings.handlers });
    runPrimary(settings.workers, log);
    return;
  }

  if (cluster.isWorker && settings.cpuAffinity) {
    const cpu = settings.cpus[Number(process.env[SLOT_ENV] ?? 0) % settings.cpus.length];
    if (!pinToCpu(cpu)) log.warn('relay_cpu_affinity_unavailable', { cpu });
  }

  // Asked to take the singletons over while still starting: take them once started.
  let takeSingletons = () => {};
  let askedToTakeSingletons = false;
  if (cluster.isWorker)
    onTakeSingletons(() => {
      askedToTakeSingletons = true;
      takeSingletons();
    });

  const metrics = new Metrics();
  let relay;
  try {
    relay = await startRelay(settings, log, {
      metrics,
      metricsText: cluster.isWorker ? workerMetrics(metrics) : undefined,
      singletonStatus: cluster.isWorker ? workerStatus : undefined,
      runsSingletons: worker === null || process.env[SINGLETON_ENV] === '1',
      worker: worker ?? undefined,
    });
  } catch (error) {
    log.error('relay_start_failed', { error, hint: (error as NodeJS.ErrnoException).code === 'EACCES' ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE' : undefined });
    process.exit(1);
  }
  log.info('relay_listening', {
    host: settings.host,
    tftpPort: relay.tftpPort,
    httpPort: relay.httpPort,
    ...(relay.dhcp ? { proxyDhcp: relay.dhcp, advertiseAddress: settings.dhcp.advertiseAddress } : {}),
    handlers: settings.handlers,
    bootDir: settings.bootDir,
    cacheDir: settings.cacheDir,
  });

  let stopping = false;
  const running = relay;
  takeSingletons = () => {
    if (stopping) return;
    running.takeSingletons().then(
      ({ tftpPort, dhcp }) => log.info('relay_singletons_taken', { tftpPort, ...(dhcp ? { proxyDhcp: dhcp } : {}) }),
      (error) => {
        // A worker that cannot take them over makes way for one that can.
        log.error('relay_singletons_failed', { error });
        process.exit(1);
      },
    );
  };
  if (askedToTakeSingletons) takeSingletons();

  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info('relay_draining', { reason });
    await relay.shutdown().catch((error) => log.error('relay_shutdown_failed', { error }));
    log.info('relay_stopped', { reason });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker whose primary is gone stops too.
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary gone'));
}

void main();
