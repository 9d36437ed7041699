import type { BlockSource } from './block-source';
import { decodePacket, encodeError, encodeOack, type NegotiatedOptions, TftpError } from './codec';
import { blockCount, SendWindow, type WindowStep } from './send-window';

export type TransferOutcome =
  /** The client acknowledged the last block. */
  | 'complete'
  /** The client ended with ERROR 8 after our OACK: a size probe, as UEFI firmware does. */
  | 'probe'
  /** The client sent an error packet. */
  | 'client_error'
  /** No acknowledgement after all retries. */
  | 'timeout'
  /** The client acknowledged nothing, not even after one retransmission: dropped without a word (its source may be spoofed). */
  | 'unacknowledged'
  /** The client had acknowledged nothing when a request from another source needed its place. */
  | 'evicted'
  /** The client's port went away (ICMP port unreachable), a socket failed or the file could not be read. */
  | 'socket_error'
  /** The relay shut down before the transfer ended. */
  | 'aborted';

export interface TransferStats {
  outcome: TransferOutcome;
  bytesSent: number;
  retransmits: number;
  detail?: string;
  /** Windows went out as segmented UDP sends (UDP_SEGMENT). */
  segmented?: boolean;
  /** Why the kernel refused a segmented send, when it did (the transfer went on a block a datagram). */
  segmentationRefused?: string;
}

/**
 * How a transfer reaches its client: a socket of its own, connected to the client's address and
 * port (its TID), so that the kernel drops datagrams from anyone else. Errors on it come back
 * through TftpTransfer.fail.
 */
export interface TransferLink {
  /** One packet (OACK, ERROR). */
  send(packet: Buffer): void;
  /** DATA blocks first, first + 1, … with these payloads. */
  sendData(first: number, payloads: readonly Buffer[]): void;
  close(): void;
}

/**
 * Where a transfer stands between two packets: enough to go on with it elsewhere (another thread
 * takes it over on the same socket). Plain data.
 */
export interface TransferState {
  acked: number;
  sent: number;
  waitingForOackAck: boolean;
  tries: number;
  progressMark: number;
  checkedMark: number;
  bytesSent: number;
  retransmits: number;
}

/** The retransmission interval: the client's `timeout` option, else the relay's setting. */
export function retransmitIntervalMs(options: NegotiatedOptions, defaultMs: number): number {
  return options.timeoutSeconds !== null ? options.timeoutSeconds * 1000 : defaultMs;
}

/**
 * Sends of the first packet (DATA 1 or the OACK) before the client acknowledges anything: the
 * packet and one retransmission. Whoever spoofs a request gets at most this many packets sent to
 * the address it named.
 */
export const SENDS_BEFORE_FIRST_ACK = 2;

/** The retransmission interval until the first ACK: short enough that an unanswered transfer ends within firstAckTimeoutMs. */
export function firstAckIntervalMs(intervalMs: number, firstAckTimeoutMs: number): number {
  return Math.max(1, Math.min(intervalMs, Math.floor(firstAckTimeoutMs / SENDS_BEFORE_FIRST_ACK)));
}

/**
 * One read transfer: the protocol, apart from I/O. Its owner hands it the datagrams that arrive
 * (onMessage), calls tick once per retransmission interval, and learns the outcome from onEnd.
 */
export class TftpTransfer {
  private readonly window: SendWindow;
  private waitingForOackAck: boolean;
  private tries = 0;
  /** Bumped on every useful ACK; a tick compares it instead of a timer being re-armed per packet. */
  private progressMark = 0;
  private checkedMark = 0;
  private generation = 0;
  private over = false;
  private bytesSent = 0;
  private retransmits = 0;

  constructor(
    private readonly link: TransferLink,
    private readonly source: BlockSource,
    private readonly options: NegotiatedOptions,
    private readonly maxTries: number,
    private readonly onEnd: (stats: TransferStats) => void,
    /** The client's first acknowledgement (of the OACK or of a block): its source is real. */
    private readonly onAcknowledged: () => void = () => {},
  ) {
    this.window = new SendWindow(blockCount(source.size, options.blksize), options.windowsize);
    this.waitingForOackAck = options.oack.length > 0;
  }

  get ended(): boolean {
    return this.over;
  }

  /** The client has acknowledged something: only progress moves the mark. */
  get acknowledged(): boolean {
    return this.progressMark > 0;
  }

  /** Its state, for another owner to resume; only between packets, when no read is outstanding. */
  state(): TransferState {
    const { acked, sent } = this.window;
    return {
      acked,
      sent,
      waitingForOackAck: this.waitingForOackAck,
      tries: this.tries,
      progressMark: this.progressMark,
      checkedMark: this.checkedMark,
      bytesSent: this.bytesSent,
      retransmits: this.retransmits,
    };
  }

  /** Takes over where state() left off, instead of start(): the blocks sent are on the wire already. */
  resume(state: TransferState): void {
    this.window.acked = state.acked;
    this.window.sent = state.sent;
    this.waitingForOackAck = state.waitingForOackAck;
    this.tries = state.tries;
    this.progressMark = state.progressMark;
    this.checkedMark = state.checkedMark;
    this.bytesSent = state.bytesSent;
    this.retransmits = state.retransmits;
  }

  start(): void {
    if (this.waitingForOackAck) this.sendOack();
    else this.perform(this.window.start());
  }

  /** Ends the transfer now (shutdown). */
  abort(): void {
    if (this.over) return;
    this.link.send(encodeError(TftpError.NotDefined, 'relay shutting down'));
    this.end('aborted');
  }

  /**
   * Ends the transfer without a word if its client has acknowledged nothing yet (another request
   * needs its place); answers whether it did.
   */
  evict(): boolean {
    if (this.over || this.acknowledged) return false;
    this.end('evicted');
    return true;
  }

  /** The socket failed, or the client's port is gone. */
  fail(detail: string): void {
    this.end('socket_error', detail);
  }

  onMessage(message: Buffer): void {
    if (this.over) return;
    // The hot path: an ACK (opcode 4) needs no general decoding.
    if (message.length >= 4 && message[0] === 0 && message[1] === 4 && !this.waitingForOackAck) {
      this.onAck((message[2] << 8) | message[3]);
      return;
    }
    const packet = decodePacket(message);
    if (packet.op === 'ack') {
      if (this.waitingForOackAck) {
        if (packet.block !== 0) return;
        this.waitingForOackAck = false;
        this.progress();
        this.perform(this.window.start());
        return;
      }
      this.onAck(packet.block);
    } else if (packet.op === 'error') {
      if (this.waitingForOackAck && packet.code === TftpError.OptionRefused) this.end('probe');
      else this.end('client_error', `${packet.code} ${packet.message}`);
    }
    // Anything else on a transfer socket is noise: ignore it and keep going.
  }

  /**
   * One retransmission interval has passed. A timeout is so noticed between one and two intervals
   * after the last progress: re-arming a timer for every packet costs more than the whole rest of
   * the packet's handling.
   */
  tick(): void {
    if (this.over) return;
    if (this.progressMark !== this.checkedMark) {
      this.checkedMark = this.progressMark;
      return;
    }
    this.tries++;
    if (!this.acknowledged && this.tries >= Math.min(this.maxTries, SENDS_BEFORE_FIRST_ACK)) {
      // No ERROR either: it would be one more packet to an address that may never have asked.
      this.end('unacknowledged');
      return;
    }
    if (this.tries >= this.maxTries) {
      this.link.send(encodeError(TftpError.NotDefined, 'timed out waiting for an acknowledgement'));
      this.end('timeout');
      return;
    }
    if (this.waitingForOackAck) {
      this.retransmits++;
      this.sendOack();
    } else this.perform(this.window.onTimeout());
  }

  private sendOack(): void {
    this.link.send(encodeOack(this.options.oack));
  }

  private onAck(block: number): void {
    const before = this.window.acked;
    const step = this.window.onAck(block);
    if (step.action === 'ignore') return;
    // Only an ACK that moves forward is progress: a client repeating one ACK cannot keep a
    // transfer alive past its retries.
    if (this.window.acked > before || step.action === 'done') this.progress();
    this.perform(step);
  }

  private progress(): void {
    this.tries = 0;
    if (this.progressMark++ === 0) this.onAcknowledged();
  }

  private perform(step: WindowStep): void {
    if (step.action === 'done') {
      this.end('complete');
      return;
    }
    if (step.action !== 'send') return;
    if (step.rewound) this.retransmits++;
    const generation = ++this.generation;
    this.sendBlocks(step.from, step.to, generation);
  }

  /**
   * Sends blocks from..to, a run at a time: as many as the source has at hand, then waits for the
   * rest. fromBytes: block from's payload, when a read that had to wait brought it.
   */
  private sendBlocks(from: number, to: number, generation: number, fromBytes?: Buffer): void {
    const blksize = this.options.blksize;
    const run: Buffer[] = fromBytes ? [fromBytes] : [];
    for (let block = from + run.length; block <= to; block++) {
      let data: Buffer | Promise<Buffer>;
      try {
        data = this.source.read((block - 1) * blksize, blksize);
      } catch (error) {
        this.end('socket_error', (error as Error).message);
        return;
      }
      if (data instanceof Promise) {
        this.sendRun(from, run);
        data.then(
          (bytes) => {
            if (this.over || generation !== this.generation) return;
            this.sendBlocks(block, to, generation, bytes);
          },
          (error: Error) => this.end('socket_error', error.message),
        );
        return;
      }
      run.push(data);
    }
    this.sendRun(from, run);
  }

  private sendRun(first: number, payloads: Buffer[]): void {
    if (payloads.length === 0 || this.over) return;
    this.link.sendData(first, payloads);
    for (const p of payloads) this.bytesSent += p.length;
  }

  private end(outcome: TransferOutcome, detail?: string): void {
    if (this.over) return;
    this.over = true;
    this.source.close();
    this.link.close();
    this.onEnd({ outcome, bytesSent: this.bytesSent, retransmits: this.retransmits, detail });
  }
}
