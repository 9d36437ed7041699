import type { Socket } from 'node:dgram';
import { loadSyscalls } from './thread/syscalls';

/**
 * UDP segmentation offload (Linux 4.18+, UDP_SEGMENT): one send of up to 64 equal-sized segments
 * that the kernel (or the NIC) cuts into datagrams. A whole TFTP window then crosses the network
 * stack once instead of once per block, which is most of the cost of sending it. Node has no
 * setsockopt, so it is called through koffi's prebuilt FFI; where that is missing (another OS, no
 * binary, an old kernel) the relay sends one datagram a block as before.
 */
/** The kernel's UDP_MAX_SEGMENTS (64 up to Linux 6.x; some later kernels allow 128). */
const MAX_SEGMENTS = 64;
/** The largest UDP payload of one send (IPv4: 65535 − 20 − 8); IPv6 allows a little more. */
const MAX_PAYLOAD = 65507;

/**
 * The option cuts every send on the socket longer than a segment, the transfer's OACK and ERROR
 * packets too. Those are well under 100 bytes, so segments of a 512-byte block or more leave them whole.
 */
const MIN_SEGMENT = 512 + 4;

/** How many segments of segmentSize bytes one send may carry; 1: do not segment. */
export function segmentsPerSend(segmentSize: number): number {
  if (segmentSize < MIN_SEGMENT) return 1;
  return Math.min(MAX_SEGMENTS, Math.floor(MAX_PAYLOAD / segmentSize));
}

/**
 * Runs of consecutive blocks that can go out as one segmented send: at most max blocks, each
 * but the last exactly blksize long (the kernel cuts equal segments; only the last may be short).
 * Answers the run lengths, in order.
 */
export function segmentRuns(lengths: readonly number[], blksize: number, max: number): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const length of lengths) {
    run++;
    if (run === max || length < blksize) {
      runs.push(run);
      run = 0;
    }
  }
  if (run) runs.push(run);
  return runs;
}

/** The file descriptor under a bound dgram socket. Node keeps it on an internal handle. */
function socketFd(socket: Socket): number | null {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const fd = state ? (socket as unknown as Record<symbol, { handle?: { fd?: unknown } }>)[state]?.handle?.fd : undefined;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/**
 * Turns segmentation on for a bound socket; answers how many segments one send may then carry,
 * 1 when it is not available.
 */
export function enableUdpSegmentation(socket: Socket, segmentSize: number): number {
  const segments = segmentsPerSend(segmentSize);
  if (segments < 2) return 1;
  const sys = loadSyscalls();
  const fd = sys ? socketFd(socket) : null;
  if (sys === null || fd === null) return 1;
  return sys.setUdpSegment(fd, segmentSize) ? segments : 1;
}
