import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import type { FileResolver, ServedFile } from '../files/served-file';
import type { Logger } from '../observe/log';
import type { Counter, Gauge, Metrics } from '../observe/metrics';
import { type BlockSource, BufferSource, FileSource } from './block-source';
import { decodePacket, encodeError, negotiateOptions, TftpError, toNetascii } from './codec';
import { DataSender } from './data-sender';
import { TftpTransfer } from './transfer';
import { enableUdpSegmentation } from './udp-segmentation';

/** How the TFTP server treats transfers (RELAY_TFTP_*). */
export interface TftpTransferSettings {
  maxBlksize: number;
  maxWindowsize: number;
  /** Transfers at once in this process, then ERROR 3. */
  maxTransfers: number;
  /** Retransmission interval when the client asks for none. */
  timeoutMs: number;
  /** Sends of the same window before a transfer is given up. */
  retries: number;
  /** Send each window as one segmented UDP send where the kernel offers it (UDP_SEGMENT). */
  segmentation: boolean;
}

export interface TftpServerOptions extends TftpTransferSettings {
  host: string;
  port: number;
}

const NETASCII_MAX = 64 * 1024 * 1024;

/**
 * Read-only TFTP server. Requests arrive on the listening socket; each transfer gets a socket of
 * its own. In a cluster every worker reads the same listening socket, and a transfer belongs to
 * the worker that took its request.
 */
export class TftpServer {
  private socket: Socket | null = null;
  private readonly transfers = new Set<TftpTransfer>();
  private pending = 0;
  private readonly active: Gauge;
  private readonly outcomes: Counter;
  private readonly refused: Counter;
  private readonly bytes: Counter;
  private readonly retransmits: Counter;
  private readonly malformed: Counter;
  private readonly segmented: Counter;

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
    this.malformed = metrics.counter('relay_tftp_malformed_total', 'Datagrams on the TFTP port that were not a valid request.');
    this.segmented = metrics.counter('relay_tftp_segmented_transfers_total', 'TFTP transfers that sent their windows as segmented UDP sends (UDP_SEGMENT).');
    metrics.onCollect(() => this.active.set({}, this.transfers.size));
  }

  get activeTransfers(): number {
    return this.transfers.size + this.pending;
  }

  listen(): Promise<number> {
    const socket = createSocket({ type: isIPv6(this.options.host) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    this.socket = socket;
    socket.on('message', (message, remote) => this.onRequest(message, remote));
    socket.on('error', (error) => this.log.error('tftp_socket_error', { error }));
    return new Promise((resolve, reject) => {
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

  /** Waits for the transfers in flight, aborting those still running after the deadline. */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.all([...this.transfers].map((t) => t.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    if ((await Promise.race([all, deadline])) === 'late') for (const t of this.transfers) t.abort();
    clearTimeout(timer);
    await Promise.all([...this.transfers].map((t) => t.done));
  }

  private logBudget = { second: 0, used: 0, suppressed: 0 };

  /** Refusals are logged, but a flood of bad datagrams must not flood the log: 20 a second at most. */
  private logRefusal(event: string, fields: Record<string, unknown>): void {
    const second = Math.floor(Date.now() / 1000);
    const budget = this.logBudget;
    if (second !== budget.second) {
      if (budget.suppressed) this.log.warn('tftp_refusals_suppressed', { count: budget.suppressed });
      this.logBudget = { second, used: 0, suppressed: 0 };
    }
    if (this.logBudget.used++ < 20) this.log.info(event, fields);
    else this.logBudget.suppressed++;
  }

  private segmentationFallbacks = 0;

  /** A path that refuses segmented sends usually refuses them for every transfer: say so a few times, not each time. */
  private logSegmentationFallback(error: Error, remote: RemoteInfo): void {
    if (this.segmentationFallbacks++ < 5) this.log.warn('tftp_segmentation_refused', { client: remote.address, error: error.message });
  }

  private reply(remote: RemoteInfo, code: number, message: string, reason: string): void {
    this.refused.inc({ reason });
    this.socket?.send(encodeError(code, message), remote.port, remote.address);
  }

  private onRequest(message: Buffer, remote: RemoteInfo): void {
    if (remote.port === 0) return;
    const packet = decodePacket(message);
    switch (packet.op) {
      case 'rrq':
        void this.startTransfer(packet.filename, packet.mode, packet.options, remote).catch((error) => {
          this.log.error('tftp_transfer_failed_to_start', { error, file: packet.filename, client: remote.address });
        });
        return;
      case 'wrq':
        this.logRefusal('tftp_write_refused', { file: packet.filename, client: remote.address });
        this.reply(remote, TftpError.AccessViolation, 'this server is read-only', 'write_request');
        return;
      case 'error':
        // Never answer an error with an error.
        this.malformed.inc();
        return;
      case 'malformed':
        this.malformed.inc();
        this.log.debug('tftp_malformed', { client: remote.address, reason: packet.reason });
        this.reply(remote, TftpError.IllegalOperation, `malformed request: ${packet.reason}`, 'malformed');
        return;
      default:
        this.malformed.inc();
        this.reply(remote, TftpError.IllegalOperation, `unexpected ${packet.op.toUpperCase()} on the request port`, 'illegal_operation');
    }
  }

  private async startTransfer(filename: string, mode: string, options: readonly (readonly [string, string])[], remote: RemoteInfo): Promise<void> {
    if (mode !== 'octet' && mode !== 'netascii') {
      this.reply(remote, TftpError.IllegalOperation, `transfer mode ${mode} is not supported`, 'mode');
      return;
    }
    if (this.activeTransfers >= this.options.maxTransfers) {
      this.log.warn('tftp_transfer_cap', { file: filename, client: remote.address, max: this.options.maxTransfers });
      this.reply(remote, TftpError.DiskFull, 'too many transfers in progress, try again', 'transfer_cap');
      return;
    }
    this.pending++;
    let source: BlockSource;
    try {
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
    } finally {
      this.pending--;
    }
    if (!this.socket) {
      source.close();
      return;
    }
    const negotiated = negotiateOptions(options, source.size, this.options);
    const socket = createSocket(isIPv6(remote.address) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // exclusive: a transfer socket is this process's own, even inside a cluster worker.
        socket.bind({ port: 0, address: this.options.host, exclusive: true }, () => {
          socket.connect(remote.port, remote.address, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      });
    } catch (error) {
      source.close();
      socket.close();
      throw error;
    }
    const timeoutMs = negotiated.timeoutSeconds !== null ? negotiated.timeoutSeconds * 1000 : this.options.timeoutMs;
    // Lock-step sends one block at a time: nothing to segment.
    const segments = this.options.segmentation && negotiated.windowsize > 1 ? enableUdpSegmentation(socket, negotiated.blksize + 4) : 1;
    if (segments > 1) this.segmented.inc();
    const sender = new DataSender(socket, negotiated.blksize, segments, (error) => this.logSegmentationFallback(error, remote));
    const transfer = new TftpTransfer(socket, sender, source, negotiated, timeoutMs, this.options.retries);
    this.transfers.add(transfer);
    transfer.start();
    const stats = await transfer.done;
    this.transfers.delete(transfer);
    this.outcomes.inc({ outcome: stats.outcome });
    this.bytes.inc({}, stats.bytesSent);
    if (stats.retransmits) this.retransmits.inc({}, stats.retransmits);
    const fields = {
      file: filename,
      client: `${remote.address}:${remote.port}`,
      outcome: stats.outcome,
      bytes: stats.bytesSent,
      size: source.size,
      blksize: negotiated.blksize,
      windowsize: negotiated.windowsize,
      retransmits: stats.retransmits,
      detail: stats.detail,
    };
    if (stats.outcome === 'complete' || stats.outcome === 'probe') this.log.debug('tftp_transfer', fields);
    else this.log.info('tftp_transfer', fields);
  }

  private async sourceFor(file: ServedFile, mode: string): Promise<BlockSource> {
    if (mode === 'netascii') {
      if (file.size > NETASCII_MAX) throw new Error('file too large for netascii');
      return new BufferSource(toNetascii(file.buffer ?? (await readFile(file.path!))));
    }
    if (file.buffer) return new BufferSource(file.buffer);
    return FileSource.open(file.path!, file.size);
  }
}
