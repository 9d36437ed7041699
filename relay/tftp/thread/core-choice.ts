import { BUSY_POLL_MAX_TRANSFERS } from './busy-poll';

/**
 * Which core's transfer thread should serve a transfer, given the core its client last sent from
 * (null: stay where it is).
 *
 * - Busy (more transfers than busy polling takes on, or polling off): the thread on the client's
 *   core. Each DATA then wakes its client on the same core and cache, where a wake-up is cheap,
 *   instead of across cores (an interrupt to the other core; costly in a VM).
 * - Quiet (a few transfers, polled for): a thread on another core than the client's. Both then
 *   run at once, and the thread catches the next ACK by polling instead of waiting for the core.
 */
export function preferredCore(options: { clientCpu: number; ownCpu: number; siblingCpus: readonly number[]; transfers: number; busyPolling: boolean }): number | null {
  const { clientCpu, ownCpu, siblingCpus, transfers, busyPolling } = options;
  if (clientCpu < 0) return null;
  const quiet = busyPolling && transfers <= BUSY_POLL_MAX_TRANSFERS;
  if (quiet) return clientCpu === ownCpu ? (siblingCpus.find((cpu) => cpu !== clientCpu) ?? null) : null;
  return clientCpu !== ownCpu && siblingCpus.includes(clientCpu) ? clientCpu : null;
}
