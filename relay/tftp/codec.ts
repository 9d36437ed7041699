/**
 * TFTP packets (RFC 1350) with option extension (RFC 2347) and the options of
 * RFC 2348 (blksize), RFC 2349 (timeout, tsize) and RFC 7440 (windowsize).
 * Pure: bytes in, values out. No sockets, no clock.
 */
const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

export const TftpError = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTid: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionRefused: 8,
} as const;

export type TftpOption = readonly [name: string, value: string];

export type TftpPacket =
  | { op: 'rrq' | 'wrq'; filename: string; mode: string; options: TftpOption[] }
  | { op: 'data'; block: number; data: Uint8Array }
  | { op: 'ack'; block: number }
  | { op: 'error'; code: number; message: string }
  | { op: 'oack'; options: TftpOption[] };

export type DecodeResult = TftpPacket | { op: 'malformed'; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Splits NUL-terminated strings; a trailing unterminated string is dropped. */
function nulStrings(bytes: Uint8Array, start: number): string[] {
  const out: string[] = [];
  let from = start;
  for (let i = start; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(decoder.decode(bytes.subarray(from, i)));
      from = i + 1;
    }
  }
  return out;
}

function decodeOptions(fields: string[]): TftpOption[] {
  const options: TftpOption[] = [];
  // Some boot ROMs pad requests with extra NULs: empty names end the list.
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === '') break;
    options.push([fields[i].toLowerCase(), fields[i + 1]]);
  }
  return options;
}

export function decodePacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 2) return { op: 'malformed', reason: 'shorter than an opcode' };
  const opcode = (bytes[0] << 8) | bytes[1];
  switch (opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      const fields = nulStrings(bytes, 2);
      if (fields.length < 2) return { op: 'malformed', reason: 'request without filename and mode' };
      const [filename, mode, ...rest] = fields;
      if (filename === '') return { op: 'malformed', reason: 'empty filename' };
      return { op: opcode === Opcode.RRQ ? 'rrq' : 'wrq', filename, mode: mode.toLowerCase(), options: decodeOptions(rest) };
    }
    case Opcode.DATA:
      if (bytes.length < 4) return { op: 'malformed', reason: 'truncated DATA' };
      return { op: 'data', block: (bytes[2] << 8) | bytes[3], data: bytes.subarray(4) };
    case Opcode.ACK:
      if (bytes.length < 4) return { op: 'malformed', reason: 'truncated ACK' };
      return { op: 'ack', block: (bytes[2] << 8) | bytes[3] };
    case Opcode.ERROR: {
      if (bytes.length < 4) return { op: 'malformed', reason: 'truncated ERROR' };
      const end = bytes.indexOf(0, 4);
      const message = decoder.decode(bytes.subarray(4, end === -1 ? bytes.length : end));
      return { op: 'error', code: (bytes[2] << 8) | bytes[3], message };
    }
    case Opcode.OACK:
      return { op: 'oack', options: decodeOptions(nulStrings(bytes, 2)) };
    default:
      return { op: 'malformed', reason: `unknown opcode ${opcode}` };
  }
}

function strings(opcode: number, parts: string[]): Buffer {
  const body = Buffer.from(parts.map((p) => `${p}\0`).join(''), 'utf8');
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(opcode, 0);
  body.copy(out, 2);
  return out;
}

export function encodeRequest(op: 'rrq' | 'wrq', filename: string, mode: string, options: readonly TftpOption[] = []): Buffer {
  return strings(op === 'rrq' ? Opcode.RRQ : Opcode.WRQ, [filename, mode, ...options.flat()]);
}

export function encodeOack(options: readonly TftpOption[]): Buffer {
  return strings(Opcode.OACK, options.flat());
}

export function encodeAck(block: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt16BE(Opcode.ACK, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  return out;
}

/** A DATA header; the payload goes beside it in the same datagram (scatter/gather send). */
export function encodeDataHeader(block: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt16BE(Opcode.DATA, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  return out;
}

export function encodeData(block: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + data.length);
  out.writeUInt16BE(Opcode.DATA, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  out.set(data, 4);
  return out;
}

export function encodeError(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const out = Buffer.allocUnsafe(5 + text.length);
  out.writeUInt16BE(Opcode.ERROR, 0);
  out.writeUInt16BE(code, 2);
  text.copy(out, 4);
  out[out.length - 1] = 0;
  return out;
}

export interface OptionLimits {
  /** Largest blksize granted (a path MTU of 1500 allows 1468). */
  maxBlksize: number;
  /** Largest windowsize granted. */
  maxWindowsize: number;
  /**
   * Largest timeout granted, in seconds (default: the RFC's 255). RFC 2349 lets the server only
   * take the client's value or leave the option out, so a larger one is left out: the transfer
   * keeps the relay's own interval, and a request that is never answered cannot hold a transfer
   * for minutes.
   */
  maxTimeoutSeconds?: number;
}

export interface NegotiatedOptions {
  blksize: number;
  windowsize: number;
  /** Retransmission interval the client asked for, in seconds, when it asked. */
  timeoutSeconds: number | null;
  /** What the OACK carries: only options the client asked for and we accepted; empty means no OACK. */
  oack: TftpOption[];
}

const BLKSIZE_MIN = 8;
const BLKSIZE_MAX = 65464;

function integer(text: string): number | null {
  return /^\d{1,10}$/.test(text) ? Number(text) : null;
}

/**
 * Decides which of the client's options we accept. Options we do not know, or whose value is
 * out of the RFC's range, are left out of the OACK (RFC 2347: the server simply omits them).
 * A blksize or windowsize larger than we allow is granted at our maximum (RFC 2348, 7440).
 */
export function negotiateOptions(
  requested: readonly TftpOption[],
  fileSize: number | null,
  limits: OptionLimits,
): NegotiatedOptions {
  const result: NegotiatedOptions = { blksize: 512, windowsize: 1, timeoutSeconds: null, oack: [] };
  const seen = new Set<string>();
  for (const [name, value] of requested) {
    if (seen.has(name)) continue;
    seen.add(name);
    const n = integer(value);
    switch (name) {
      case 'blksize':
        if (n === null || n < BLKSIZE_MIN) break;
        result.blksize = Math.min(n, BLKSIZE_MAX, Math.max(BLKSIZE_MIN, limits.maxBlksize));
        result.oack.push(['blksize', String(result.blksize)]);
        break;
      case 'windowsize':
        if (n === null || n < 1 || n > 65535) break;
        result.windowsize = Math.min(n, Math.max(1, limits.maxWindowsize));
        result.oack.push(['windowsize', String(result.windowsize)]);
        break;
      case 'timeout':
        if (n === null || n < 1 || n > Math.min(255, limits.maxTimeoutSeconds ?? 255)) break;
        result.timeoutSeconds = n;
        result.oack.push(['timeout', String(n)]);
        break;
      case 'tsize':
        if (fileSize === null) break;
        result.oack.push(['tsize', String(fileSize)]);
        break;
    }
  }
  return result;
}
