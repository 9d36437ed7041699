import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './observe/log';
import { type Metrics, type MetricSnapshot, mergeSnapshots, renderSnapshots } from './observe/metrics';

/**
 * Spreads the relay over several processes (one event loop per core). Workers share the HTTP
 * port; one of them also serves TFTP and runs the other singletons. The primary only starts,
 * restarts and stops workers, hands the singletons on when their worker dies, adds up the workers'
 * metrics for /metrics and passes the singletons' worker's status (what listens) to the others for /healthz.
 */
/** Set by the primary in the environment of the worker that runs the relay's singletons. */
export const SINGLETON_ENV = 'TANDEM_RELAY_SINGLETONS';
/** Set by the primary: the worker's place, 0..workers-1, kept by its replacement (it picks the worker's core). */
export const SLOT_ENV = 'TANDEM_RELAY_SLOT';

type Message =
  /** To a worker: run the relay's singletons from now on (the worker that ran them died). */
  | { type: 'take-singletons' }
  | { type: 'metrics-request'; id: number }
  | { type: 'metrics-collect'; id: number }
  | { type: 'metrics-snapshot'; id: number; snapshot: MetricSnapshot[] }
  | { type: 'metrics-result'; id: number; snapshots: MetricSnapshot[] }
  /** A worker asks for the TFTP status; the primary asks the singletons' worker and passes its answer back. */
  | { type: 'status-request'; id: number }
  | { type: 'status-collect'; id: number }
  | { type: 'status'; id: number; status: unknown };

export function runPrimary(workers: number, log: Logger): void {
  let stopping = false;
  let nextRequest = 1;
  const restarts = { count: 0 };
  const collecting = new Map<number, { from: Worker; replyId: number; snapshots: MetricSnapshot[][]; waiting: number; timer: NodeJS.Timeout }>();
  const asking = new Map<number, { from: Worker; replyId: number }>();

  const finish = (id: number) => {
    const c = collecting.get(id);
    if (!c) return;
    collecting.delete(id);
    clearTimeout(c.timer);
    const restartsMetric: MetricSnapshot = {
      name: 'relay_worker_restarts_total',
      help: 'Relay worker processes started again after they died.',
      kind: 'counter',
      values: [['', restarts.count]],
    };
    if (c.from.isConnected()) c.from.send({ type: 'metrics-result', id: c.replyId, snapshots: [...mergeSnapshots(c.snapshots), restartsMetric] } satisfies Message);
  };

  // One worker runs what a relay runs once (TFTP, firmware sync, proxyDHCP). When it dies, a live
  // worker takes them over at once, rather than leaving terminals without TFTP until a new process
  // has started; the replacement serves HTTP.
  const slots = new Map<number, number>();
  let singletonWorker: number | null = null;
  const fork = (slot: number, singletons: boolean) => {
    const worker = cluster.fork({ [SINGLETON_ENV]: singletons ? '1' : '0', [SLOT_ENV]: String(slot) });
    slots.set(worker.id, slot);
    if (singletons) singletonWorker = worker.id;
    worker.on('message', (message: Message) => {
      if (message.type === 'metrics-request') {
        const id = nextRequest++;
        const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
        collecting.set(id, { from: worker, replyId: message.id, snapshots: [], waiting: alive.length, timer: setTimeout(() => finish(id), 1000) });
        for (const w of alive) w.send({ type: 'metrics-collect', id } satisfies Message);
      } else if (message.type === 'status-request') {
        const holder = singletonWorker === null ? undefined : cluster.workers?.[singletonWorker];
        if (!holder?.isConnected()) {
          worker.send({ type: 'status', id: message.id, status: null } satisfies Message);
          return;
        }
        const id = nextRequest++;
        asking.set(id, { from: worker, replyId: message.id });
        setTimeout(() => asking.delete(id), 2000).unref();
        holder.send({ type: 'status-collect', id } satisfies Message);
      } else if (message.type === 'status') {
        const a = asking.get(message.id);
        asking.delete(message.id);
        if (a?.from.isConnected()) a.from.send({ type: 'status', id: a.replyId, status: message.status } satisfies Message);
      } else if (message.type === 'metrics-snapshot') {
        const c = collecting.get(message.id);
        if (!c) return;
        c.snapshots.push(message.snapshot);
        if (--c.waiting <= 0) finish(message.id);
      }
    });
    return worker;
  };

  for (let i = 0; i < workers; i++) fork(i, i === 0);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        log.info('relay_stopped', {});
        process.exit(0);
      }
      return;
    }
    restarts.count++;
    const slot = slots.get(worker.id) ?? 0;
    slots.delete(worker.id);
    log.error('relay_worker_died', { worker: worker.id, code, signal });
    let singletons = false;
    if (singletonWorker === worker.id) {
      const heir = Object.values(cluster.workers ?? {}).find((w): w is Worker => !!w && w.isConnected());
      if (heir) {
        singletonWorker = heir.id;
        heir.send({ type: 'take-singletons' } satisfies Message);
        log.warn('relay_singletons_moved', { from: worker.id, to: heir.id });
      } else singletons = true;
    }
    setTimeout(() => fork(slot, singletons), 200);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info('relay_stopping', { signal });
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** In a worker: runs takeOver when the primary hands it the relay's singletons. */
export function onTakeSingletons(takeOver: () => void): void {
  process.on('message', (message: Message) => {
    if (message.type === 'take-singletons') takeOver();
  });
}

/**
 * In a worker: a call to the primary answered by a message with the same id (answerOf picks it
 * out), or by fallback() when no answer comes within timeoutMs.
 */
function callPrimary<T>(request: (id: number) => Message, answerOf: (message: Message) => { id: number; value: T } | null, timeoutMs: number, fallback: () => T): () => Promise<T> {
  let nextId = 1;
  const waiting = new Map<number, (value: T) => void>();
  process.on('message', (message: Message) => {
    const answer = answerOf(message);
    if (!answer) return;
    waiting.get(answer.id)?.(answer.value);
    waiting.delete(answer.id);
  });
  return () =>
    new Promise((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(fallback());
      }, timeoutMs);
      waiting.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
      process.send?.(request(id));
    });
}

/**
 * In a worker: answers the primary's status calls with local() (null where this worker has none),
 * and asks, through the primary, the worker that has one.
 */
export function workerStatus<T>(local: () => T | null): () => Promise<T | null> {
  process.on('message', (message: Message) => {
    if (message.type === 'status-collect') process.send?.({ type: 'status', id: message.id, status: local() } satisfies Message);
  });
  const ask = callPrimary<T | null>(
    (id) => ({ type: 'status-request', id }),
    (m) => (m.type === 'status' ? { id: m.id, value: m.status as T | null } : null),
    1000,
    () => null,
  );
  return () => {
    const own = local();
    return own !== null ? Promise.resolve(own) : ask();
  };
}

/** In a worker: answers the primary's collection calls, and asks it for the relay-wide text. */
export function workerMetrics(local: Metrics): () => Promise<string> {
  process.on('message', (message: Message) => {
    if (message.type === 'metrics-collect') process.send?.({ type: 'metrics-snapshot', id: message.id, snapshot: local.snapshot() } satisfies Message);
  });
  const ask = callPrimary<MetricSnapshot[] | null>(
    (id) => ({ type: 'metrics-request', id }),
    (m) => (m.type === 'metrics-result' ? { id: m.id, value: m.snapshots } : null),
    2000,
    () => null,
  );
  return async () => {
    const snapshots = await ask();
    return snapshots ? renderSnapshots(snapshots) : local.render();
  };
}
