import type { Socket } from 'node:dgram';
import type { BlockSource } from './block-source';
import { decodePacket, encodeError, encodeOack, type NegotiatedOptions, TftpError } from './codec';
import type { DataSender } from './data-sender';
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
  /** The client's port went away (ICMP port unreachable) or a socket failed. */
  | 'socket_error'
  /** The relay shut down before the transfer ended. */
  | 'aborted';

export interface TransferStats {
  outcome: TransferOutcome;
  bytesSent: number;
  retransmits: number;
  detail?: string;
}

/**
 * One read transfer on its own socket, connected to the client's address and port (its TID):
 * the kernel drops datagrams from anyone else.
 */
export class TftpTransfer {
  private readonly window: SendWindow;
  private waitingForOackAck: boolean;
  private tries = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Bumped on every useful ACK; the timer compares it instead of being re-armed per packet. */
  private progressMark = 0;
  private checkedMark = 0;
  private generation = 0;
  private ended = false;
  private bytesSent = 0;
  private retransmits = 0;
  readonly done: Promise<TransferStats>;
  private resolveDone!: (stats: TransferStats) => void;

  constructor(
    private readonly socket: Socket,
    private readonly sender: DataSender,
    private readonly source: BlockSource,
    private readonly options: NegotiatedOptions,
    private readonly timeoutMs: number,
    private readonly maxTries: number,
  ) {
    this.window = new SendWindow(blockCount(source.size, options.blksize), options.windowsize);
    this.waitingForOackAck = options.oack.length > 0;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    socket.on('message', (message) => this.onMessage(message));
    socket.on('error', (error) => this.end('socket_error', error.message));
  }

  start(): void {
    // A timeout is noticed between one and two intervals after the last progress: re-arming a
    // timer for every packet costs more than the whole rest of the packet's handling.
    this.timer = setInterval(() => this.onTick(), this.timeoutMs);
    if (this.waitingForOackAck) this.sendOack();
    else this.perform(this.window.start());
  }

  /** Ends the transfer now (shutdown). */
  abort(): void {
    if (this.ended) return;
    this.socket.send(encodeError(TftpError.NotDefined, 'relay shutting down'));
    this.end('aborted');
  }

  private sendOack(): void {
    this.socket.send(encodeOack(this.options.oack));
  }

  private onMessage(message: Buffer): void {
    if (this.ended) return;
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
    this.progressMark++;
  }

  private onTick(): void {
    if (this.ended) return;
    if (this.progressMark !== this.checkedMark) {
      this.checkedMark = this.progressMark;
      return;
    }
    this.tries++;
    if (this.tries >= this.maxTries) {
      this.socket.send(encodeError(TftpError.NotDefined, 'timed out waiting for an acknowledgement'));
      this.end('timeout');
      return;
    }
    if (this.waitingForOackAck) {
      this.retransmits++;
      this.sendOack();
    } else this.perform(this.window.onTimeout());
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
      const data = this.source.read((block - 1) * blksize, blksize);
      if (data instanceof Promise) {
        this.sendRun(from, run);
        data.then(
          (bytes) => {
            if (this.ended || generation !== this.generation) return;
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
    if (payloads.length === 0) return;
    this.sender.send(first, payloads);
    for (const p of payloads) this.bytesSent += p.length;
  }

  private end(outcome: TransferOutcome, detail?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.source.close();
    // Let queued sends (the final error packet) leave before the socket goes.
    setImmediate(() => {
      try {
        this.socket.close();
      } catch {
        // already closed
      }
    });
    this.resolveDone({ outcome, bytesSent: this.bytesSent, retransmits: this.retransmits, detail });
  }
}
