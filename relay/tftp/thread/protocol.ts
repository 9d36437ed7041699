import type { MessagePort } from 'node:worker_threads';
import type { NegotiatedOptions } from '../codec';
import type { TransferRequest, TransferSource } from '../engine';
import type { TransferState, TransferStats } from '../transfer';

/** A transfer on its way from one thread to another: its socket, its source and where it stands. */
export interface Handover {
  id: number;
  fd: number;
  source: TransferSource;
  options: NegotiatedOptions;
  intervalMs: number;
  firstAckIntervalMs: number;
  retries: number;
  /** Blocks a send (UDP segmentation), as the link had it. */
  segments: number;
  segmentationRefused: string | undefined;
  state: TransferState;
}

/** What the worker's event loop tells a transfer thread. */
export type ToThread =
  | { type: 'start'; id: number; request: TransferRequest }
  /** Take over a transfer another thread handed over; abort: the relay is shutting down, end it at once. */
  | { type: 'adopt'; transfer: Handover; abort: boolean }
  /** End the transfer without a word if its client has acknowledged nothing yet. */
  | { type: 'evict'; id: number }
  | { type: 'abort-all' }
  | { type: 'stop' };

/** What a transfer thread answers. */
export type FromThread =
  | { type: 'ready' }
  /** The transfer's client acknowledged something for the first time. */
  | { type: 'acknowledged'; id: number }
  | { type: 'end'; id: number; stats: TransferStats }
  | { type: 'refused'; id: number; error: string }
  /** The transfer's client now sends from another core: the thread on that core should serve it. */
  | { type: 'handover'; cpu: number; transfer: Handover };

export interface ThreadData {
  /** The eventfd the event loop signals after posting a message: the thread sleeps in epoll, not in its own event loop. */
  wakeFd: number;
  port: MessagePort;
  busyPollUs: number;
  /** The core this thread keeps to, or null: it stays where the scheduler puts it and hands nothing over. */
  cpu: number | null;
  /** The cores of the other transfer threads: a transfer whose client sends from one of them is handed over. */
  siblingCpus: number[];
}
