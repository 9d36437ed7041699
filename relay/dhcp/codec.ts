import { macToBytes } from '../../functions/domain/mac';

/**
 * DHCP packets (RFC 2131, options RFC 2132) as far as a PXE proxy needs them. Pure.
 */
const MAGIC_COOKIE = 0x63825363;

export const DhcpMessage = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

export const DhcpOption = {
  PAD: 0,
  VENDOR_SPECIFIC: 43,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  USER_CLASS: 77,
  CLIENT_ARCH: 93,
  CLIENT_NDI: 94,
  CLIENT_GUID: 97,
  END: 255,
} as const;

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** 16 bytes; the first hlen are the hardware address. */
  chaddr: Uint8Array;
  sname: string;
  file: string;
  /** Option code → value; repeated options are concatenated (RFC 3396). */
  options: Map<number, Uint8Array>;
}

/**
 * A client's request (BOOTREQUEST) from the hardware address `mac` (aa:bb:cc:dd:ee:ff), with its
 * options; every other field as a client sets it unless given. For clients that speak to a relay:
 * the thin-client emulator and tests.
 */
export function clientRequest(mac: string, options: Map<number, Uint8Array>, fields: Partial<Omit<DhcpPacket, 'options' | 'chaddr'>> = {}): DhcpPacket {
  const chaddr = new Uint8Array(16);
  chaddr.set(macToBytes(mac));
  return {
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: Math.floor(Math.random() * 0xffffffff),
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    sname: '',
    file: '',
    ...fields,
    chaddr,
    options,
  };
}

/** The parts as one array, each byte copied once. */
function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const ipv4 = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return Buffer.from(b.subarray(0, end === -1 ? b.length : end)).toString('latin1');
}

export type DhcpDecodeResult = { ok: true; packet: DhcpPacket } | { ok: false; reason: string };

/**
 * The largest datagram decoded. A DHCP message fits an Ethernet frame (RFC 2131 clients send
 * 300-600 bytes); anything longer is not a client's and is not worth the work.
 */
export const MAX_DHCP_DATAGRAM_BYTES = 1500;

export function decodeDhcp(bytes: Uint8Array): DhcpDecodeResult {
  if (bytes.length > MAX_DHCP_DATAGRAM_BYTES) return { ok: false, reason: `longer than ${MAX_DHCP_DATAGRAM_BYTES} bytes` };
  if (bytes.length < 240) return { ok: false, reason: 'shorter than a BOOTP header with cookie' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(236) !== MAGIC_COOKIE) return { ok: false, reason: 'no DHCP magic cookie' };
  // The parts of each option, joined once at the end: joining as they come copies a repeated
  // option over and over (quadratic in the parts).
  const parts = new Map<number, Uint8Array[]>();
  let i = 240;
  while (i < bytes.length) {
    const code = bytes[i++];
    if (code === DhcpOption.PAD) continue;
    if (code === DhcpOption.END) break;
    if (i >= bytes.length) return { ok: false, reason: `option ${code} without a length` };
    const length = bytes[i++];
    if (i + length > bytes.length) return { ok: false, reason: `option ${code} runs past the packet` };
    const value = bytes.subarray(i, i + length);
    const list = parts.get(code);
    if (list) list.push(value);
    else parts.set(code, [value]);
    i += length;
  }
  const options = new Map<number, Uint8Array>();
  for (const [code, list] of parts) options.set(code, joined(list));
  const hlen = bytes[2];
  if (hlen > 16) return { ok: false, reason: 'hardware address longer than 16 bytes' };
  return {
    ok: true,
    packet: {
      op: bytes[0],
      htype: bytes[1],
      hlen,
      hops: bytes[3],
      xid: view.getUint32(4),
      secs: view.getUint16(8),
      flags: view.getUint16(10),
      ciaddr: ipv4(bytes, 12),
      yiaddr: ipv4(bytes, 16),
      siaddr: ipv4(bytes, 20),
      giaddr: ipv4(bytes, 24),
      chaddr: bytes.slice(28, 44),
      sname: cString(bytes.subarray(44, 108)),
      file: cString(bytes.subarray(108, 236)),
      options,
    },
  };
}

function writeIp(out: Buffer, at: number, ip: string): void {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  parts.forEach((p, k) => (out[at + k] = p));
}

export function encodeDhcp(packet: DhcpPacket): Buffer {
  const optionBytes: number[] = [];
  for (const [code, value] of packet.options) {
    // Values longer than 255 bytes are split into repeated options (RFC 3396).
    for (let at = 0; at < value.length || at === 0; at += 255) {
      const part = value.subarray(at, at + 255);
      optionBytes.push(code, part.length, ...part);
      if (value.length === 0) break;
    }
  }
  optionBytes.push(DhcpOption.END);
  const out = Buffer.alloc(Math.max(300, 240 + optionBytes.length));
  out[0] = packet.op;
  out[1] = packet.htype;
  out[2] = packet.hlen;
  out[3] = packet.hops;
  out.writeUInt32BE(packet.xid >>> 0, 4);
  out.writeUInt16BE(packet.secs, 8);
  out.writeUInt16BE(packet.flags, 10);
  writeIp(out, 12, packet.ciaddr);
  writeIp(out, 16, packet.yiaddr);
  writeIp(out, 20, packet.siaddr);
  writeIp(out, 24, packet.giaddr);
  out.set(packet.chaddr.subarray(0, 16), 28);
  out.write(packet.sname.slice(0, 63), 44, 'latin1');
  out.write(packet.file.slice(0, 127), 108, 'latin1');
  out.writeUInt32BE(MAGIC_COOKIE, 236);
  out.set(optionBytes, 240);
  return out;
}

export const optionText = (packet: DhcpPacket, code: number): string | null => {
  const value = packet.options.get(code);
  return value ? Buffer.from(value).toString('latin1') : null;
};
