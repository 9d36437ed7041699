import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientRequest, decodeDhcp, DhcpMessage, DhcpOption, type DhcpPacket, encodeDhcp, MAX_DHCP_DATAGRAM_BYTES } from './codec';

function discover(options: Array<[number, Uint8Array | string]>, mac = 'aa:bb:cc:00:00:01'): DhcpPacket {
  return clientRequest(mac, new Map(options.map(([code, v]) => [code, typeof v === 'string' ? Buffer.from(v, 'latin1') : v])), { xid: 0x1234abcd, secs: 4, flags: 0x8000 });
}

const pxeDiscover = (arch: number, extra: Array<[number, Uint8Array | string]> = []) =>
  discover([
    [DhcpOption.MESSAGE_TYPE, Uint8Array.of(DhcpMessage.DISCOVER)],
    [DhcpOption.VENDOR_CLASS, `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016`],
    [DhcpOption.CLIENT_ARCH, Uint8Array.of(arch >> 8, arch & 0xff)],
    [DhcpOption.CLIENT_GUID, Uint8Array.of(0, ...new Array(16).fill(7))],
    ...extra,
  ]);

describe('DHCP codec', () => {
  it('round-trips a PXE DISCOVER', () => {
    const packet = pxeDiscover(7);
    const decoded = decodeDhcp(encodeDhcp(packet));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.packet).toMatchObject({ op: 1, xid: 0x1234abcd, flags: 0x8000, hlen: 6, ciaddr: '0.0.0.0' });
    expect(Buffer.from(decoded.packet.options.get(DhcpOption.VENDOR_CLASS)!).toString()).toBe('PXEClient:Arch:00007:UNDI:003016');
  });

  it('refuses short packets, a missing cookie and options that run past the end', () => {
    expect(decodeDhcp(new Uint8Array(100)).ok).toBe(false);
    expect(decodeDhcp(new Uint8Array(300)).ok).toBe(false);
    const bytes = encodeDhcp(pxeDiscover(0));
    const cut = Buffer.concat([bytes.subarray(0, 240), Buffer.from([60, 40, 1, 2])]);
    expect(decodeDhcp(cut)).toMatchObject({ ok: false });
  });

  it('concatenates repeated options (RFC 3396)', () => {
    const bytes = Buffer.concat([encodeDhcp(discover([])).subarray(0, 240), Buffer.from([77, 2, 0x69, 0x50, 77, 2, 0x58, 0x45, 255])]);
    const decoded = decodeDhcp(bytes);
    expect(decoded.ok && Buffer.from(decoded.packet.options.get(77)!).toString()).toBe('iPXE');
  });
});

describe('DHCP codec work', () => {
  /** A header and `parts` one-byte parts of one option: the most repeats a datagram can carry. */
  const repeated = (parts: number) => {
    const options = Buffer.alloc(parts * 3 + 1);
    for (let k = 0; k < parts; k++) options.set([77, 1, k & 0xff], k * 3);
    options[parts * 3] = 255;
    return Buffer.concat([encodeDhcp(discover([])).subarray(0, 240), options]);
  };

  /** Bytes decode copies into new arrays (from, slice, set, Buffer.concat): its work, counted without a clock. */
  function copiedBytes(decode: () => void): number {
    const typedArray = Object.getPrototypeOf(Uint8Array.prototype) as Uint8Array;
    let copied = 0;
    const from = Uint8Array.from.bind(Uint8Array);
    vi.spyOn(Uint8Array, 'from').mockImplementation(((source: ArrayLike<number>) => {
      copied += source.length;
      return from(source);
    }) as typeof Uint8Array.from);
    const slice = typedArray.slice;
    vi.spyOn(typedArray, 'slice').mockImplementation(function (this: Uint8Array, ...args: [number?, number?]) {
      const out = slice.apply(this, args);
      copied += out.length;
      return out;
    });
    const set = typedArray.set;
    vi.spyOn(typedArray, 'set').mockImplementation(function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
      copied += source.length;
      return set.call(this, source, offset);
    });
    const concat = Buffer.concat.bind(Buffer);
    vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      const out = concat(list, length);
      copied += out.length;
      return out;
    });
    try {
      decode();
    } finally {
      vi.restoreAllMocks();
    }
    return copied;
  }

  afterEach(() => vi.restoreAllMocks());

  it('decodes a repeated option in work linear in its parts', () => {
    // 1,441 bytes: under the size bound, so decoded.
    const small = repeated(200);
    const large = repeated(400);
    const decoded = decodeDhcp(large);
    expect(decoded.ok && decoded.packet.options.get(77)!.length).toBe(400);
    const smallWork = copiedBytes(() => decodeDhcp(small));
    const largeWork = copiedBytes(() => decodeDhcp(large));
    // Each byte of the option is copied a bounded number of times; twice the parts, twice the work.
    expect(largeWork).toBeLessThanOrEqual(2 * large.length);
    expect(largeWork / smallWork).toBeLessThan(2.5);
  });

  it('does not decode a datagram longer than a DHCP message can be', () => {
    // A few KiB are enough to show it (a 64 KiB one took the old decoder most of a second).
    const huge = repeated(1400);
    const decoded = decodeDhcp(huge);
    expect(decoded.ok ? 'decoded' : decoded.reason).toBe(`longer than ${MAX_DHCP_DATAGRAM_BYTES} bytes`);
    expect(copiedBytes(() => decodeDhcp(huge))).toBe(0);
  });
});
