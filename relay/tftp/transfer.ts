import type { Socket } from 'node:dgram';
import type { BlockSource } from './block-source';
import { decodePacket, encodeDataHeader, encodeError, encodeOack, type NegotiatedOptions, TftpError } from './codec';
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
      const step = this.window.onAck((message[2] << 8) | message[3]);
      if (step.action === 'ignore') return;
      this.progress();
      this.perform(step);
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
      const step = this.window.onAck(packet.block);
      if (step.action === 'ignore') return;
      this.progress();
      this.perform(step);
    } else if (packet.op === 'error') {
      if (this.waitingForOackAck && packet.code === TftpError.OptionRefused) this.end('probe');
      else this.end('client_error', `${packet.code} ${packet.message}`);
    }
    // Anything else on a transfer socket is noise: ignore it and keep going.
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

  private sendBlocks(from: number, to: number, generation: number): void {
    const blksize = this.options.blksize;
    for (let block = from; block <= to; block++) {
      const data = this.source.read((block - 1) * blksize, blksize);
      if (data instanceof Promise) {
        data.then(
          (bytes) => {
            if (this.ended || generation !== this.generation) return;
            this.sendBlock(block, bytes);
            this.sendBlocks(block + 1, to, generation);
          },
          (error: Error) => this.end('socket_error', error.message),
        );
        return;
      }
      this.sendBlock(block, data);
    }
  }

  private sendBlock(block: number, data: Buffer): void {
    this.socket.send([encodeDataHeader(block), data]);
    this.bytesSent += data.length;
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
