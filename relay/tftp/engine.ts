import type { NegotiatedOptions } from './codec';
import type { TransferStats } from './transfer';

/**
 * What a transfer sends: bytes in memory, or a file opened when the request was accepted (the
 * transfer owns the descriptor and closes it). Holding the descriptor keeps the very file that was
 * sized for the OACK, even if a newer version replaces it on disk meanwhile.
 */
export type TransferSource = ({ buffer: Buffer } | { fd: number; size: number }) & {
  /** Sent as netascii, converted block by block (netascii.ts): its length once converted. */
  netasciiSize?: number;
};

/** Everything a transfer needs once its request is accepted; plain data, so that it can cross to a thread. */
export interface TransferRequest {
  client: { address: string; port: number };
  /** The address the relay listens on, which the transfer's socket binds to. */
  localAddress: string;
  source: TransferSource;
  options: NegotiatedOptions;
  /** Retransmission interval, in milliseconds. */
  intervalMs: number;
  /** Retransmission interval until the client's first ACK (firstAckIntervalMs in transfer.ts). */
  firstAckIntervalMs: number;
  /** Sends of the same window before a transfer is given up. */
  retries: number;
  /** Send windows as segmented UDP sends where the kernel offers it. */
  segmentation: boolean;
}

/** A transfer an engine runs. */
export interface RunningTransfer {
  /** Settles when the transfer ends; rejects when it could not start. */
  readonly ended: Promise<TransferStats>;
  /** Ends it without a word if its client has acknowledged nothing yet (TftpTransfer.evict). */
  evict(): void;
}

/** Runs transfers: the sockets, timers and I/O around TftpTransfer. */
export interface TransferEngine {
  readonly name: string;
  /** Threads running transfers (0: the event loop runs them). */
  readonly threads: number;
  /** onAcknowledged: the client's first acknowledgement (TftpTransfer's). */
  run(request: TransferRequest, onAcknowledged: () => void): RunningTransfer;
  /** Ends every transfer in flight (shutdown), each with an ERROR packet to its client. */
  abortAll(): void;
  close(): Promise<void>;
}
