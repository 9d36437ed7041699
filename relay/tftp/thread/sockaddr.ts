import { isIPv4, isIPv6 } from 'node:net';

/**
 * struct sockaddr_in / sockaddr_in6 for an address and port, as the kernel takes them (Linux
 * layout: family in host order, port in network order).
 */
export const AF_INET = 2;
export const AF_INET6 = 10;

export function sockaddr(address: string, port: number): Buffer {
  if (isIPv4(address)) {
    const out = Buffer.alloc(16);
    out.writeUInt16LE(AF_INET, 0);
    out.writeUInt16BE(port, 2);
    ipv4Bytes(address).copy(out, 4);
    return out;
  }
  const [host, zone] = address.split('%');
  if (!isIPv6(host)) throw new Error(`not an IP address: ${address}`);
  const out = Buffer.alloc(28);
  out.writeUInt16LE(AF_INET6, 0);
  out.writeUInt16BE(port, 2);
  ipv6Bytes(host).copy(out, 8);
  // A numeric zone is the interface index; a named one is not resolved here (0: none).
  if (zone && /^\d+$/.test(zone)) out.writeUInt32LE(Number(zone), 24);
  return out;
}

export function addressFamily(address: string): typeof AF_INET | typeof AF_INET6 {
  return isIPv4(address) ? AF_INET : AF_INET6;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** The 16 bytes of an IPv6 address in text, with :: and a trailing dotted IPv4 part. */
export function ipv6Bytes(address: string): Buffer {
  const lastColon = address.lastIndexOf(':');
  let text = address;
  if (address.includes('.', lastColon)) {
    // a:b::1.2.3.4 is a:b::102:304.
    const v4 = ipv4Bytes(address.slice(lastColon + 1));
    text = `${address.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = text.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = groups(halves[0]);
  const back = halves.length > 1 ? groups(halves[1]) : [];
  const all = halves.length > 1 ? [...front, ...Array(8 - front.length - back.length).fill(0), ...back] : front;
  if (all.length !== 8) throw new Error(`not an IPv6 address: ${address}`);
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
