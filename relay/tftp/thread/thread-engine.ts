import { closeSync } from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { TransferEngine, TransferRequest } from '../engine';
import type { TransferStats } from '../transfer';
import type { FromThread, ThreadData, ToThread } from './protocol';
import { loadSyscalls, type Syscalls } from './syscalls';

interface Pending {
  resolve: (stats: TransferStats) => void;
  reject: (error: Error) => void;
}

/**
 * Transfers run by a thread of their own (transfer-thread.ts) on plain system calls. The worker's
 * event loop keeps the request port and everything else; a transfer costs it one message out and
 * one back. A thread that dies ends its transfers as aborted and is started again for the next.
 */
export class ThreadTransferEngine implements TransferEngine {
  readonly name = 'thread';
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private onReady = () => {};

  private constructor(
    private readonly sys: Syscalls,
    private readonly wakeFd: number,
    private readonly busyPollUs: number,
    private readonly onThreadError: (error: Error) => void,
  ) {}

  /**
   * The engine with its thread running, or why it cannot run here (not Linux, no FFI, a thread
   * that fails to start); the relay then runs transfers in its event loop.
   */
  static async start(options: { busyPollUs: number; onThreadError: (error: Error) => void }): Promise<ThreadTransferEngine | Error> {
    const sys = loadSyscalls();
    if (!sys) return new Error('system calls through FFI are not available here (Linux and koffi are needed)');
    const wakeFd = sys.eventfd();
    if (wakeFd < 0) return new Error(`eventfd: ${sys.strerror(sys.errno())}`);
    const engine = new ThreadTransferEngine(sys, wakeFd, options.busyPollUs, options.onThreadError);
    const worker = engine.startThread();
    const started = await new Promise<true | Error>((resolve) => {
      engine.onReady = () => resolve(true);
      worker.once('error', resolve);
      worker.once('exit', (code) => resolve(new Error(`transfer thread exited with code ${code}`)));
    });
    if (started === true) return engine;
    await engine.close();
    return started;
  }

  run(request: TransferRequest): Promise<TransferStats> {
    if (this.closed) {
      if ('fd' in request.source) closeSync(request.source.fd);
      return Promise.reject(new Error('transfer engine closed'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'start', id, request });
    });
  }

  abortAll(): void {
    if (this.worker) this.post({ type: 'abort-all' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      this.post({ type: 'stop' });
      await exited;
    }
    this.sys.close(this.wakeFd);
  }

  private post(message: ToThread): void {
    if (!this.port) this.startThread();
    this.port!.postMessage(message);
    this.sys.signal(this.wakeFd);
  }

  private startThread(): Worker {
    const { port1, port2 } = new MessageChannel();
    const data: ThreadData = { wakeFd: this.wakeFd, port: port2, busyPollUs: this.busyPollUs };
    const worker = new Worker(new URL('./transfer-thread.boot.mjs', import.meta.url), { workerData: data, transferList: [port2] });
    const settle = (message: FromThread) => {
      if (message.type === 'ready') {
        this.onReady();
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.type === 'end') pending.resolve(message.stats);
      else pending.reject(new Error(message.error));
    };
    port1.on('message', settle);
    worker.on('error', (error) => this.onThreadError(error));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.port = null;
      // What the thread said last may still wait in the port.
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) settle(m.message as FromThread);
      port1.close();
      // What is still in flight ended with the thread.
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.resolve({ outcome: 'aborted', bytesSent: 0, retransmits: 0, detail: 'transfer thread stopped' });
      }
    });
    this.worker = worker;
    this.port = port1;
    return worker;
  }
}
