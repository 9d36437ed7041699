/**
 * A transfer thread: the TFTP transfers of one core, on sockets it reads and writes with plain
 * system calls in one epoll loop (a transfer can move to another core's thread; see followClient). Node's dgram costs, per ACK, a second recvmsg that
 * finds nothing, a 64 KiB buffer, an address object and the callback machinery; a lock-step
 * transfer is nothing but ACKs, so those are most of its cost. This loop makes one recv and one
 * send per block.
 *
 * The thread never returns to its event loop while transfers run: new work arrives as messages
 * read synchronously when the eventfd beside the sockets says there are some.
 */
import { closeSync } from 'node:fs';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { pinToCpu } from '../../cpu-affinity';
import { type BlockSource, BufferSource, SyncFileSource } from '../block-source';
import type { TransferRequest, TransferSource } from '../engine';
import { transferBlocks } from '../netascii';
import { TftpTransfer, type TransferStats } from '../transfer';
import { segmentsPerSend } from '../udp-segmentation';
import { BusyPoll } from './busy-poll';
import { preferredCore } from './core-choice';
import type { FromThread, Handover, ThreadData, ToThread } from './protocol';
import { RawLink } from './raw-link';
import { Errno, loadSyscalls, type Syscalls } from './syscalls';

/** How often retransmission intervals are checked: a timeout is noticed at most this late. */
const TICK_GRANULARITY_MS = 10;
const MAX_EVENTS = 256;
/** Room for a window of 64 large blocks in the socket's send buffer. */
const WINDOW_SEND_BUFFER = 4 * 1024 * 1024;
/**
 * Which core a transfer's client sends from is looked at every this many datagrams (one system
 * call each time). Clients move between cores now and then, not from one packet to the next.
 */
const CORE_CHECK_EVERY = 16;

interface Running {
  id: number;
  fd: number;
  source: TransferSource;
  options: TransferRequest['options'];
  retries: number;
  transfer: TftpTransfer;
  link: RawLink;
  intervalMs: number;
  firstAckIntervalMs: number;
  nextTickMs: number;
  packets: number;
  /** The core the client sent from at the last check, when another thread would serve it better from there; else -1. */
  clientCpu: number;
}

class TransferThread {
  private readonly epfd: number;
  private readonly byFd = new Map<number, Running>();
  private readonly ready = new Int32Array(MAX_EVENTS);
  private readonly inbox = Buffer.alloc(2048);
  private readonly busy: BusyPoll;
  private nextScanMs = Number.POSITIVE_INFINITY;
  private stopping = false;

  constructor(
    private readonly sys: Syscalls,
    private readonly data: ThreadData,
  ) {
    this.busy = new BusyPoll(data.busyPollUs);
    this.epfd = sys.epollCreate();
    if (this.epfd < 0 || sys.epollAdd(this.epfd, data.wakeFd) < 0) throw new Error(`epoll: ${sys.strerror(sys.errno())}`);
  }

  run(): void {
    const { sys, ready } = this;
    while (!this.stopping || this.byFd.size > 0) {
      let now = performance.now();
      const timeout = this.busy.shouldPoll(now, this.byFd.size) ? 0 : this.byFd.size === 0 ? -1 : Math.max(0, Math.ceil(this.nextScanMs - now));
      const n = sys.epollWait(this.epfd, ready, timeout);
      if (n < 0 && sys.errno() !== Errno.EINTR) throw new Error(`epoll_wait: ${sys.strerror(sys.errno())}`);
      now = performance.now();
      if (n > 0) this.busy.onPackets(now);
      for (let i = 0; i < n; i++) {
        const fd = ready[i];
        if (fd === this.data.wakeFd) this.readMessages();
        else this.receive(fd);
      }
      if (now >= this.nextScanMs) this.tick(now);
    }
  }

  private readMessages(): void {
    this.sys.drain(this.data.wakeFd);
    for (let m = receiveMessageOnPort(this.data.port); m; m = receiveMessageOnPort(this.data.port)) {
      const message = m.message as ToThread;
      if (message.type === 'start') this.start(message.id, message.request);
      else if (message.type === 'adopt') this.adopt(message.transfer, message.abort);
      else if (message.type === 'evict') this.evict(message.id);
      else {
        for (const r of [...this.byFd.values()]) this.guarded(r, () => r.transfer.abort());
        if (message.type === 'stop') this.stopping = true;
      }
    }
  }

  private start(id: number, request: TransferRequest): void {
    const { sys } = this;
    const fd = sys.connectedUdpSocket(request.localAddress, request.client.address, request.client.port);
    if (fd < 0) {
      closeSource(request.source);
      this.post({ type: 'refused', id, error: `transfer socket: ${sys.strerror(-fd)}` });
      return;
    }
    const { blksize, windowsize } = request.options;
    let segments = 1;
    if (windowsize > 1) {
      sys.setSendBuffer(fd, WINDOW_SEND_BUFFER);
      // Lock-step sends one block at a time: nothing to segment.
      const possible = request.segmentation ? segmentsPerSend(blksize + 4) : 1;
      if (possible > 1 && sys.setUdpSegment(fd, blksize + 4)) segments = possible;
    }
    const running = this.watch({ ...request, id, fd, segments, segmentationRefused: undefined });
    if (running) this.guarded(running, () => running.transfer.start());
  }

  /** Takes over a transfer another thread handed over: same socket, same place in the file. */
  private adopt(handover: Handover, abort: boolean): void {
    const running = this.watch(handover);
    if (!running) return;
    running.transfer.resume(handover.state);
    running.nextTickMs = performance.now() + tickInterval(running);
    if (abort || this.stopping) this.guarded(running, () => running.transfer.abort());
  }

  private evict(id: number): void {
    for (const running of this.byFd.values()) if (running.id === id) this.guarded(running, () => running.transfer.evict());
  }

  /** Watches a transfer's socket and drives its protocol; null when its source cannot be read. */
  private watch(t: Omit<Handover, 'state'>): Running | null {
    let source: BlockSource;
    try {
      const original = 'buffer' in t.source ? new BufferSource(asBuffer(t.source.buffer)) : new SyncFileSource(t.source.fd, t.source.size);
      source = transferBlocks(original, t.source, t.options.windowsize);
    } catch (error) {
      this.sys.close(t.fd);
      closeSource(t.source);
      this.post({ type: 'refused', id: t.id, error: (error as Error).message });
      return null;
    }
    let running: Running | undefined;
    const link = new RawLink(this.sys, t.fd, t.options.blksize, t.segments, (detail) => running?.transfer.fail(detail), t.segmentationRefused);
    const transfer = new TftpTransfer(
      link,
      source,
      t.options,
      t.retries,
      (stats) => this.ended(t.fd, stats),
      () => this.post({ type: 'acknowledged', id: t.id }),
    );
    const now = performance.now();
    running = {
      id: t.id,
      fd: t.fd,
      source: t.source,
      options: t.options,
      retries: t.retries,
      transfer,
      link,
      intervalMs: t.intervalMs,
      firstAckIntervalMs: t.firstAckIntervalMs,
      nextTickMs: now + t.firstAckIntervalMs,
      packets: 0,
      clientCpu: -1,
    };
    this.byFd.set(t.fd, running);
    this.sys.epollAdd(this.epfd, t.fd);
    this.nextScanMs = Math.min(this.nextScanMs, running.nextTickMs);
    return running;
  }

  /**
   * Every so often: from which core does the client send? A transfer whose client sent from the
   * same core at two checks in a row, and which would be better served by another thread from
   * there (preferredCore), is handed to that thread.
   */
  private followClient(running: Running): void {
    if (++running.packets % CORE_CHECK_EVERY !== 1 || this.data.cpu === null || this.stopping) return;
    const clientCpu = this.sys.incomingCpu(running.fd);
    const target = preferredCore({ clientCpu, ownCpu: this.data.cpu, siblingCpus: this.data.siblingCpus, transfers: this.byFd.size, busyPolling: this.data.busyPollUs > 0 });
    if (target === null || running.clientCpu !== clientCpu) {
      running.clientCpu = target === null ? -1 : clientCpu;
      return;
    }
    this.sys.epollDelete(this.epfd, running.fd);
    this.byFd.delete(running.fd);
    const { id, fd, source, options, retries, intervalMs, firstAckIntervalMs, link, transfer } = running;
    this.post({
      type: 'handover',
      cpu: target,
      transfer: { id, fd, source, options, intervalMs, firstAckIntervalMs, retries, segments: link.segmentsPerSend, segmentationRefused: link.refused, state: transfer.state() },
    });
  }

  /** Called by the transfer as it ends; its link has closed the socket, whose number may be reused at once. */
  private ended(fd: number, stats: TransferStats): void {
    const running = this.byFd.get(fd);
    if (!running) return;
    this.byFd.delete(fd);
    this.post({ type: 'end', id: running.id, stats: { ...stats, segmented: running.link.segmented || running.link.refused !== undefined, segmentationRefused: running.link.refused } });
  }

  private receive(fd: number): void {
    const running = this.byFd.get(fd);
    if (!running) return;
    const length = this.sys.recv(fd, this.inbox);
    if (length >= 0) {
      this.guarded(running, () => running.transfer.onMessage(this.inbox.subarray(0, length)));
      if (!running.transfer.ended) this.followClient(running);
      return;
    }
    const errno = this.sys.errno();
    if (errno === Errno.EAGAIN || errno === Errno.EINTR) return;
    running.transfer.fail(errno === Errno.ECONNREFUSED ? 'client port unreachable' : this.sys.strerror(errno));
  }

  /** Retransmission intervals that have passed; then when to look next. */
  private tick(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const running of [...this.byFd.values()]) {
      if (now >= running.nextTickMs) {
        running.nextTickMs = now + tickInterval(running);
        this.guarded(running, () => running.transfer.tick());
      }
      if (this.byFd.has(running.fd)) next = Math.min(next, running.nextTickMs);
    }
    this.nextScanMs = next === Number.POSITIVE_INFINITY ? next : Math.max(next, now + TICK_GRANULARITY_MS);
  }

  /** A fault in one transfer ends that transfer, not the thread and every other transfer with it. */
  private guarded(running: Running, work: () => void): void {
    try {
      work();
    } catch (error) {
      running.transfer.fail(`internal error: ${(error as Error).message}`);
    }
  }

  private post(message: FromThread): void {
    this.data.port.postMessage(message);
  }
}

/** Until its client's first ACK a transfer is looked at sooner: one that nobody answers ends soon. */
function tickInterval(running: Running): number {
  return running.transfer.acknowledged ? running.intervalMs : running.firstAckIntervalMs;
}

function closeSource(source: TransferSource): void {
  if ('fd' in source) closeSync(source.fd);
}

/** A buffer posted here arrives as a plain Uint8Array; this views the same memory (shared, for a SharedArrayBuffer). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const sys = loadSyscalls();
if (!sys) throw new Error('the transfer thread needs Linux and koffi');
const data = workerData as ThreadData;
// A thread that cannot keep to its core hands nothing over: which core it runs on says nothing.
if (data.cpu !== null && !pinToCpu(data.cpu)) data.cpu = null;
const thread = new TransferThread(sys, data);
(workerData as ThreadData).port.postMessage({ type: 'ready' } satisfies FromThread);
thread.run();
(workerData as ThreadData).port.close();
