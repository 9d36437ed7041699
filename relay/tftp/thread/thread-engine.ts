import { closeSync } from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RunningTransfer, TransferEngine, TransferRequest, TransferSource } from '../engine';
import type { TransferStats } from '../transfer';
import type { FromThread, Handover, ThreadData, ToThread } from './protocol';
import { loadSyscalls, type Syscalls } from './syscalls';

interface Pending {
  resolve: (stats: TransferStats) => void;
  reject: (error: Error) => void;
  /** The thread that runs it now. */
  thread: TransferThreadHandle;
  onAcknowledged: () => void;
  /** Asked to end if unacknowledged: asked again of the thread that takes it over. */
  evicted: boolean;
}

/**
 * One transfer thread (transfer-thread.ts), seen from the event loop: started on first use and
 * again after it died, woken through its eventfd after each message.
 */
class TransferThreadHandle {
  worker: Worker | null = null;
  private port: MessagePort | null = null;
  onReady = () => {};

  constructor(
    private readonly sys: Syscalls,
    readonly wakeFd: number,
    readonly cpu: number | null,
    private readonly siblingCpus: number[],
    private readonly busyPollUs: number,
    private readonly onMessage: (message: FromThread, from: TransferThreadHandle) => void,
    private readonly onExit: (thread: TransferThreadHandle) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  post(message: ToThread): void {
    if (!this.port) this.start();
    this.port!.postMessage(message);
    this.sys.signal(this.wakeFd);
  }

  start(): Worker {
    const { port1, port2 } = new MessageChannel();
    const data: ThreadData = { wakeFd: this.wakeFd, port: port2, busyPollUs: this.busyPollUs, cpu: this.cpu, siblingCpus: this.siblingCpus };
    const worker = new Worker(new URL('./transfer-thread.boot.mjs', import.meta.url), { workerData: data, transferList: [port2] });
    const settle = (message: FromThread) => (message.type === 'ready' ? this.onReady() : this.onMessage(message, this));
    port1.on('message', settle);
    worker.on('error', (error) => this.onError(error));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.port = null;
      // What the thread said last may still wait in the port.
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) settle(m.message as FromThread);
      port1.close();
      this.onExit(this);
    });
    this.worker = worker;
    this.port = port1;
    return worker;
  }
}

/**
 * Transfers run by threads of their own (transfer-thread.ts) on plain system calls, one thread per
 * core, each kept to its core. The worker's event loop keeps the request port and everything else;
 * a transfer costs it one message out and one back. A transfer whose client sends from another
 * core moves to the thread there (through this loop, which knows which threads are alive). A
 * thread that dies ends its transfers as aborted and is started again for the next.
 */
export class ThreadTransferEngine implements TransferEngine {
  readonly name = 'thread';
  private readonly handles: TransferThreadHandle[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private aborting = false;

  private constructor(
    private readonly sys: Syscalls,
    private readonly onHandover: () => void,
  ) {}

  /**
   * The engine with its threads running, one per entry in cpus: the core it keeps to, or null (left
   * where the scheduler puts it), or why it cannot run here (not Linux, no FFI, a thread that fails to start);
   * the relay then runs transfers in its event loop.
   */
  static async start(options: {
    cpus: Array<number | null>;
    busyPollUs: number;
    onThreadError: (error: Error) => void;
    /** A transfer moved to another thread. */
    onHandover?: () => void;
  }): Promise<ThreadTransferEngine | Error> {
    const sys = loadSyscalls();
    if (!sys) return new Error('system calls through FFI are not available here (Linux and koffi are needed)');
    const engine = new ThreadTransferEngine(sys, options.onHandover ?? (() => {}));
    const cpus = options.cpus.length > 0 ? options.cpus : [null];
    for (const cpu of cpus) {
      const wakeFd = sys.eventfd();
      if (wakeFd < 0) {
        await engine.close();
        return new Error(`eventfd: ${sys.strerror(sys.errno())}`);
      }
      const siblings = cpu === null ? [] : cpus.filter((c): c is number => c !== null && c !== cpu);
      engine.handles.push(
        new TransferThreadHandle(sys, wakeFd, cpu, siblings, options.busyPollUs, (m, from) => engine.onThreadMessage(m, from), (t) => engine.onThreadExit(t), options.onThreadError),
      );
    }
    // Threads start side by side: a worker taking TFTP over from one that died serves sooner.
    const started = await Promise.all(
      engine.handles.map((thread) => {
        const worker = thread.start();
        return new Promise<true | Error>((resolve) => {
          thread.onReady = () => resolve(true);
          worker.once('error', resolve);
          worker.once('exit', (code) => resolve(new Error(`transfer thread exited with code ${code}`)));
        });
      }),
    );
    const failed = started.find((s): s is Error => s !== true);
    if (failed) {
      await engine.close();
      return failed;
    }
    return engine;
  }

  /** How many threads run transfers. */
  get threads(): number {
    return this.handles.length;
  }

  run(request: TransferRequest, onAcknowledged: () => void): RunningTransfer {
    if (this.closed) {
      closeSource(request.source);
      return { ended: Promise.reject(new Error('transfer engine closed')), evict: () => {} };
    }
    const id = this.nextId++;
    const thread = this.leastBusy();
    const ended = new Promise<TransferStats>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, thread, onAcknowledged, evicted: false });
      thread.post({ type: 'start', id, request });
    });
    return { ended, evict: () => this.evict(id) };
  }

  private evict(id: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.evicted = true;
    pending.thread.post({ type: 'evict', id });
  }

  abortAll(): void {
    this.aborting = true;
    for (const thread of this.handles) if (thread.worker) thread.post({ type: 'abort-all' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.handles.map((thread) => {
        const worker = thread.worker;
        if (!worker) return;
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        thread.post({ type: 'stop' });
        return exited;
      }),
    );
    for (const thread of this.handles) this.sys.close(thread.wakeFd);
    // A transfer handed over as its new thread stopped ended with it.
    for (const id of [...this.pending.keys()]) this.settle(id, { outcome: 'aborted', bytesSent: 0, retransmits: 0, detail: 'transfer thread stopped' });
  }

  private leastBusy(among: TransferThreadHandle[] = this.handles): TransferThreadHandle {
    const load = new Map(among.map((t) => [t, 0]));
    for (const p of this.pending.values()) if (load.has(p.thread)) load.set(p.thread, load.get(p.thread)! + 1);
    return among.reduce((best, t) => (load.get(t)! < load.get(best)! ? t : best));
  }

  private onThreadMessage(message: FromThread, from: TransferThreadHandle): void {
    if (message.type === 'ready') return;
    if (message.type === 'handover') {
      this.handOver(message.transfer, message.cpu, from);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'acknowledged') {
      pending.onAcknowledged();
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'end') pending.resolve(message.stats);
    else pending.reject(new Error(message.error));
  }

  /** Passes a transfer to the thread on the core its client sends from; back to where it was if that one is gone. */
  private handOver(transfer: Handover, cpu: number, from: TransferThreadHandle): void {
    const pending = this.pending.get(transfer.id);
    if (!pending) return;
    const onCore = this.closed ? [] : this.handles.filter((t) => t.cpu === cpu && t.worker);
    const to = (onCore.length > 0 ? this.leastBusy(onCore) : undefined) ?? (from.worker ? from : undefined);
    if (!to) {
      this.sys.close(transfer.fd);
      closeSource(transfer.source);
      this.settle(transfer.id, { outcome: 'aborted', bytesSent: transfer.state.bytesSent, retransmits: transfer.state.retransmits, detail: 'transfer thread stopped' });
      return;
    }
    if (to !== from) this.onHandover();
    pending.thread = to;
    to.post({ type: 'adopt', transfer, abort: this.aborting });
    // Asked of the thread that handed it over, which no longer had it.
    if (pending.evicted) to.post({ type: 'evict', id: transfer.id });
  }

  /** What the thread was running ended with it. */
  private onThreadExit(thread: TransferThreadHandle): void {
    for (const [id, pending] of this.pending) {
      if (pending.thread === thread) this.settle(id, { outcome: 'aborted', bytesSent: 0, retransmits: 0, detail: 'transfer thread stopped' });
    }
  }

  private settle(id: number, stats: TransferStats): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.resolve(stats);
  }
}

function closeSource(source: TransferSource): void {
  if ('fd' in source) closeSync(source.fd);
}
