/**
 * The transfer thread: every TFTP transfer of one relay worker, on sockets it reads and writes
 * with plain system calls in one epoll loop. Node's dgram costs, per ACK, a second recvmsg that
 * finds nothing, a 64 KiB buffer, an address object and the callback machinery; a lock-step
 * transfer is nothing but ACKs, so those are most of its cost. This loop makes one recv and one
 * send per block.
 *
 * The thread never returns to its event loop while transfers run: new work arrives as messages
 * read synchronously when the eventfd beside the sockets says there are some.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type BlockSource, BufferSource, SyncFileSource } from '../block-source';
import type { TransferRequest } from '../engine';
import { TftpTransfer, type TransferStats } from '../transfer';
import { segmentsPerSend } from '../udp-segmentation';
import { BusyPoll } from './busy-poll';
import type { FromThread, ThreadData, ToThread } from './protocol';
import { RawLink } from './raw-link';
import { Errno, loadSyscalls, type Syscalls } from './syscalls';

/** How often retransmission intervals are checked: a timeout is noticed at most this late. */
const TICK_GRANULARITY_MS = 10;
const MAX_EVENTS = 256;
/** Room for a window of 64 large blocks in the socket's send buffer. */
const WINDOW_SEND_BUFFER = 4 * 1024 * 1024;

interface Running {
  id: number;
  fd: number;
  transfer: TftpTransfer;
  link: RawLink;
  intervalMs: number;
  nextTickMs: number;
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
      else {
        for (const r of [...this.byFd.values()]) this.guarded(r, () => r.transfer.abort());
        if (message.type === 'stop') this.stopping = true;
      }
    }
  }

  private start(id: number, request: TransferRequest): void {
    let source: BlockSource;
    try {
      source = 'buffer' in request.source ? new BufferSource(asBuffer(request.source.buffer)) : new SyncFileSource(request.source.fd, request.source.size);
    } catch (error) {
      this.post({ type: 'refused', id, error: (error as Error).message });
      return;
    }
    const { sys } = this;
    const fd = sys.connectedUdpSocket(request.localAddress, request.client.address, request.client.port);
    if (fd < 0) {
      source.close();
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
    let running: Running | undefined;
    const link = new RawLink(sys, fd, blksize, segments, (detail) => running?.transfer.fail(detail));
    const transfer = new TftpTransfer(link, source, request.options, request.retries, (stats) => this.ended(fd, stats));
    const now = performance.now();
    running = { id, fd, transfer, link, intervalMs: request.intervalMs, nextTickMs: now + request.intervalMs };
    this.byFd.set(fd, running);
    sys.epollAdd(this.epfd, fd);
    this.nextScanMs = Math.min(this.nextScanMs, running.nextTickMs);
    this.guarded(running, () => transfer.start());
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
        running.nextTickMs = now + running.intervalMs;
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

/** A buffer posted here arrives as a plain Uint8Array; this views the same memory (shared, for a SharedArrayBuffer). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const sys = loadSyscalls();
if (!sys) throw new Error('the transfer thread needs Linux and koffi');
const thread = new TransferThread(sys, workerData as ThreadData);
(workerData as ThreadData).port.postMessage({ type: 'ready' } satisfies FromThread);
thread.run();
(workerData as ThreadData).port.close();
