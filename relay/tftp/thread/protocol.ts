import type { MessagePort } from 'node:worker_threads';
import type { TransferRequest } from '../engine';
import type { TransferStats } from '../transfer';

/** What the worker's event loop tells its transfer thread. */
export type ToThread = { type: 'start'; id: number; request: TransferRequest } | { type: 'abort-all' } | { type: 'stop' };

/** What the transfer thread answers. */
export type FromThread = { type: 'ready' } | { type: 'end'; id: number; stats: TransferStats } | { type: 'refused'; id: number; error: string };

export interface ThreadData {
  /** The eventfd the event loop signals after posting a message: the thread sleeps in epoll, not in its own event loop. */
  wakeFd: number;
  port: MessagePort;
  busyPollUs: number;
}
