import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { closeSync, fstat, open as openCallback } from 'node:fs';
import { isIPv6 } from 'node:net';
import { promisify } from 'node:util';
import { SourceRateLimiter } from '../../functions/domain/source-rate-limit';
import type { FileResolver, ServedFile } from '../boot/served-file';
import type { Logger } from '../observe/log';
import type { Counter, Gauge, Metrics } from '../observe/metrics';
import { AdmissionPolicy, type AdmittedTransfer } from './admission';
import { decodePacket, encodeError, negotiateOptions, TftpError, type TftpOption } from './codec';
import { isConfigRequest } from './config-requests';
import type { RunningTransfer, TransferEngine, TransferSource } from './engine';
import { NetasciiSizes } from './netascii-sizes';
import { NodeTransferEngine } from './node-engine';
import { ThreadTransferEngine } from './thread/thread-engine';
import { firstAckIntervalMs, retransmitIntervalMs, type TransferStats } from './transfer';

/** How the TFTP server treats transfers (RELAY_TFTP_*). */
export interface TftpTransferSettings {
  maxBlksize: number;
  maxWindowsize: number;
  /** Transfers at once in this process, then ERROR 3 (unless a transfer nobody acknowledged makes room). */
  maxTransfers: number;
  /** Transfers at once from one source address; more requests from it are dropped. */
  maxTransfersPerSource: number;
  /** Retransmission interval when the client asks for none. */
  timeoutMs: number;
  /** Largest `timeout` option granted, in seconds; a larger one is left out of the OACK. */
  maxTimeoutSeconds: number;
  /** A transfer whose client acknowledges nothing within this ends, its first packet sent twice at most. */
  firstAckTimeoutMs: number;
  /** config/… requests (they ask the handlers) from one source: this many at once, then configPerMinute (0: no limit). */
  configBurst: number;
  configPerMinute: number;
  /** Sends of the same window before a transfer is given up. */
  retries: number;
  /** Send each window as one segmented UDP send where the kernel offers it (UDP_SEGMENT). */
  segmentation: boolean;
  /** thread: transfers on plain system calls in a thread of their own (Linux); node: on Node's dgram, in the event loop. */
  io: 'thread' | 'node';
  /** How long a transfer thread polls for a quick client's next ACK before it sleeps, in µs; 0: never. */
  busyPollUs: number;
  /** One entry a transfer thread: the core it keeps to, or null (where the scheduler puts it, and it hands no transfer over). */
  threadCpus: Array<number | null>;
}

export interface TftpServerOptions extends TftpTransferSettings {
  host: string;
  port: number;
}

const openFile = promisify(openCallback);
const fstatFile = promisify(fstat);

/** A transfer from its admission (the file still being opened) to its end. */
interface Slot extends AdmittedTransfer {
  running: RunningTransfer | null;
  evicted: boolean;
}

/**
 * Read-only TFTP server. Requests arrive on the listening socket; each transfer gets a socket of
 * its own. In a cluster every worker reads the same listening socket, and a transfer belongs to
 * the worker that took its request.
 */
export class TftpServer {
  private socket: Socket | null = null;
  private engine: TransferEngine = new NodeTransferEngine();
  /** Transfers in flight, as promises that settle when they end (never reject: drain waits on them). */
  private readonly transfers = new Set<Promise<void>>();
  private readonly admission: AdmissionPolicy<Slot>;
  private readonly configRequests: SourceRateLimiter | null;
  private readonly netasciiSizes = new NetasciiSizes();
  private readonly active: Gauge;
  private readonly outcomes: Counter;
  private readonly refused: Counter;
  private readonly bytes: Counter;
  private readonly retransmits: Counter;
  private readonly malformed: Counter;
  private readonly dropped: Counter;
  private readonly segmented: Counter;
  private readonly handovers: Counter;

  constructor(
    private readonly files: FileResolver,
    private readonly options: TftpServerOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.active = metrics.gauge('relay_tftp_transfers_active', 'TFTP transfers in progress.');
    this.outcomes = metrics.counter('relay_tftp_transfers_total', 'TFTP transfers ended, by outcome.');
    this.refused = metrics.counter('relay_tftp_requests_refused_total', 'TFTP requests answered with an error packet, by reason.');
    this.bytes = metrics.counter('relay_tftp_bytes_sent_total', 'File bytes sent over TFTP (retransmissions included).');
    this.retransmits = metrics.counter('relay_tftp_retransmits_total', 'TFTP windows sent again after a timeout or a rewind.');
    this.malformed = metrics.counter('relay_tftp_malformed_total', 'Datagrams on the TFTP port that were not a valid request (never answered).');
    this.dropped = metrics.counter('relay_tftp_requests_dropped_total', 'TFTP read requests dropped without an answer (their source may be spoofed), by reason.');
    this.segmented = metrics.counter('relay_tftp_segmented_transfers_total', 'TFTP transfers that sent their windows as segmented UDP sends (UDP_SEGMENT).');
    this.handovers = metrics.counter('relay_tftp_thread_handovers_total', "TFTP transfers moved to the transfer thread on their client's core.");
    metrics.onCollect(() => this.active.set({}, this.transfers.size));
    this.admission = new AdmissionPolicy({ maxTransfers: options.maxTransfers, maxPerSource: options.maxTransfersPerSource });
    this.configRequests = options.configPerMinute > 0 ? new SourceRateLimiter(options.configBurst, options.configPerMinute) : null;
  }

  /** Which engine runs the transfers: thread or node. */
  get io(): string {
    return this.engine.name;
  }

  /** Threads running transfers (0: the event loop runs them). */
  get threads(): number {
    return this.engine.threads;
  }

  /** Transfers admitted: running, or their file still being opened. */
  get activeTransfers(): number {
    return this.admission.size;
  }

  async listen(): Promise<number> {
    if (this.options.io === 'thread') {
      const thread = await ThreadTransferEngine.start({
        cpus: this.options.threadCpus,
        busyPollUs: this.options.busyPollUs,
        onThreadError: (error) => this.log.error('tftp_transfer_thread_failed', { error }),
        onHandover: () => this.handovers.inc(),
      });
      if (thread instanceof Error) this.log.warn('tftp_transfer_thread_unavailable', { error: thread.message, using: 'node' });
      else this.engine = thread;
    }
    const socket = createSocket({ type: isIPv6(this.options.host) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    this.socket = socket;
    socket.on('message', (message, remote) => this.onRequest(message, remote));
    socket.on('error', (error) => this.log.error('tftp_socket_error', { error }));
    return await new Promise((resolve, reject) => {
      socket.once('error', reject);
      // exclusive: false lets cluster workers share the one listening socket.
      socket.bind({ port: this.options.port, address: this.options.host, exclusive: false }, () => {
        socket.off('error', reject);
        resolve(socket.address().port);
      });
    });
  }

  /** Stops taking requests; transfers in flight go on. */
  stopListening(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  /** Waits for the transfers in flight, aborting those still running after the deadline; then stops the engine. */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.all(this.transfers);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    if ((await Promise.race([all, deadline])) === 'late') this.engine.abortAll();
    clearTimeout(timer);
    await Promise.all(this.transfers);
    await this.engine.close();
  }

  private logBudget = { second: 0, used: 0, suppressed: 0 };

  /** Refusals are logged, but a flood of bad datagrams must not flood the log: 20 a second at most. */
  private logRefusal(event: string, fields: Record<string, unknown>, level: 'info' | 'warn' = 'info'): void {
    const second = Math.floor(Date.now() / 1000);
    const budget = this.logBudget;
    if (second !== budget.second) {
      if (budget.suppressed) this.log.warn('tftp_refusals_suppressed', { count: budget.suppressed });
      this.logBudget = { second, used: 0, suppressed: 0 };
    }
    if (this.logBudget.used++ < 20) this.log[level](event, fields);
    else this.logBudget.suppressed++;
  }

  private segmentationFallbacks = 0;

  /** A path that refuses segmented sends usually refuses them for every transfer: say so a few times, not each time. */
  private logSegmentationFallback(error: string, remote: RemoteInfo): void {
    if (this.segmentationFallbacks++ < 5) this.log.warn('tftp_segmentation_refused', { client: remote.address, error });
  }

  private reply(remote: RemoteInfo, code: number, message: string, reason: string): void {
    this.refused.inc({ reason });
    this.socket?.send(encodeError(code, message), remote.port, remote.address);
  }

  /** A request that gets no answer: answering a spoofed source would make the relay its reflector. */
  private drop(reason: string, file: string, remote: RemoteInfo): void {
    this.dropped.inc({ reason });
    this.logRefusal('tftp_request_dropped', { file, client: remote.address, reason });
  }

  private onRequest(message: Buffer, remote: RemoteInfo): void {
    if (remote.port === 0) return;
    const packet = decodePacket(message);
    if (packet.op === 'rrq') {
      this.onReadRequest(packet.filename, packet.mode, packet.options, remote);
      return;
    }
    if (packet.op === 'wrq') {
      this.logRefusal('tftp_write_refused', { file: packet.filename, client: remote.address });
      this.reply(remote, TftpError.AccessViolation, 'this server is read-only', 'write_request');
      return;
    }
    // Nothing else is answered on the request port (an error to a spoofed source is reflection), errors least of all.
    this.malformed.inc();
    this.log.debug('tftp_malformed', { client: remote.address, reason: packet.op === 'malformed' ? packet.reason : `${packet.op} on the request port` });
  }

  private onReadRequest(filename: string, mode: string, options: TftpOption[], remote: RemoteInfo): void {
    if (mode !== 'octet' && mode !== 'netascii') {
      this.reply(remote, TftpError.IllegalOperation, `transfer mode ${mode} is not supported`, 'mode');
      return;
    }
    // Each such request asks the handlers: one source must not make the relay hammer them.
    if (this.configRequests && isConfigRequest(filename) && this.configRequests.take(remote.address, Date.now()) > 0) {
      this.drop('config_rate', filename, remote);
      return;
    }
    const admission = this.admission.decide(remote.address);
    if (!admission.admit && admission.reason === 'source_cap') {
      this.drop('source_cap', filename, remote);
      return;
    }
    if (!admission.admit) {
      this.logRefusal('tftp_transfer_cap', { file: filename, client: remote.address, max: this.options.maxTransfers }, 'warn');
      this.reply(remote, TftpError.DiskFull, 'too many transfers in progress, try again', 'transfer_cap');
      return;
    }
    if (admission.evict) this.evict(admission.evict);
    const slot: Slot = { source: remote.address, acknowledged: false, running: null, evicted: false };
    this.admission.add(slot);
    void this.startTransfer(slot, filename, mode, options, remote)
      .catch((error) => this.log.error('tftp_transfer_failed_to_start', { error, file: filename, client: remote.address }))
      .finally(() => this.admission.remove(slot));
  }

  /** Makes room at once; the transfer ends as soon as its thread hears of it (or, still opening its file, does not start). */
  private evict(slot: Slot): void {
    slot.evicted = true;
    this.admission.remove(slot);
    slot.running?.evict();
  }

  private async startTransfer(slot: Slot, filename: string, mode: string, options: TftpOption[], remote: RemoteInfo): Promise<void> {
    let source: TransferSource;
    const opened = await this.files.open(filename, { protocol: 'tftp', remoteAddress: remote.address });
    if (!opened.ok) {
      const code = opened.reason === 'forbidden' ? TftpError.AccessViolation : opened.reason === 'not_found' ? TftpError.FileNotFound : TftpError.NotDefined;
      this.logRefusal('tftp_request_refused', { file: filename, client: remote.address, reason: opened.reason, message: opened.message });
      this.reply(remote, code, opened.message, opened.reason);
      return;
    }
    try {
      source = await this.sourceFor(opened.file, mode);
    } catch (error) {
      this.logRefusal('tftp_request_refused', { file: filename, client: remote.address, reason: 'unreadable', message: (error as Error).message });
      this.reply(remote, TftpError.NotDefined, (error as Error).message, 'unreadable');
      return;
    }
    if (!this.socket || slot.evicted) {
      if ('fd' in source) closeSync(source.fd);
      if (slot.evicted) this.outcomes.inc({ outcome: 'evicted' });
      return;
    }
    const size = source.netasciiSize ?? ('buffer' in source ? source.buffer.length : source.size);
    const negotiated = negotiateOptions(options, size, this.options);
    const intervalMs = retransmitIntervalMs(negotiated, this.options.timeoutMs);
    const running = this.engine.run(
      {
        client: { address: remote.address, port: remote.port },
        localAddress: this.options.host,
        source,
        options: negotiated,
        intervalMs,
        firstAckIntervalMs: firstAckIntervalMs(intervalMs, this.options.firstAckTimeoutMs),
        retries: this.options.retries,
        segmentation: this.options.segmentation,
      },
      () => (slot.acknowledged = true),
    );
    slot.running = running;
    const inFlight = running.ended.then(
      () => {},
      () => {},
    );
    this.transfers.add(inFlight);
    let stats: TransferStats;
    try {
      stats = await running.ended;
    } catch (error) {
      this.reply(remote, TftpError.NotDefined, 'transfer could not start', 'transfer_socket');
      throw error;
    } finally {
      this.transfers.delete(inFlight);
    }
    this.outcomes.inc({ outcome: stats.outcome });
    this.bytes.inc({}, stats.bytesSent);
    if (stats.retransmits) this.retransmits.inc({}, stats.retransmits);
    if (stats.segmented) this.segmented.inc();
    if (stats.segmentationRefused) this.logSegmentationFallback(stats.segmentationRefused, remote);
    const fields = {
      file: filename,
      client: `${remote.address}:${remote.port}`,
      outcome: stats.outcome,
      bytes: stats.bytesSent,
      size,
      blksize: negotiated.blksize,
      windowsize: negotiated.windowsize,
      retransmits: stats.retransmits,
      detail: stats.detail,
    };
    if (stats.outcome === 'complete' || stats.outcome === 'probe') this.log.debug('tftp_transfer', fields);
    // A flood of spoofed requests ends this way: logged within the refusals' budget.
    else if (stats.outcome === 'unacknowledged' || stats.outcome === 'evicted') this.logRefusal('tftp_transfer', fields);
    else this.log.info('tftp_transfer', fields);
  }

  private async sourceFor(file: ServedFile, mode: string): Promise<TransferSource> {
    if (file.buffer) return mode === 'netascii' ? { buffer: file.buffer, netasciiSize: this.netasciiSizes.ofBuffer(file.buffer) } : { buffer: file.buffer };
    const fd = await openFile(file.path!, 'r');
    try {
      const stats = await fstatFile(fd);
      // Replaced between its lookup and here: the OACK's tsize would not match. The client asks again.
      if (stats.size !== file.size) throw new Error('file changed while it was opened, try again');
      if (mode !== 'netascii') return { fd, size: stats.size };
      return { fd, size: stats.size, netasciiSize: await this.netasciiSizes.ofFile(fd, stats) };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
}
