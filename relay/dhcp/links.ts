import { BlockList, isIPv4 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** An IPv4 address of this host with the length of its network's prefix. */
export interface LinkAddress {
  address: string;
  prefix: number;
}

/** A network interface of this host as proxyDHCP sees it: its IPv4 addresses, in the kernel's order. */
export interface Link {
  device: string;
  loopback: boolean;
  addresses: LinkAddress[];
}

/**
 * The interfaces that hold an IPv4 address, by device, from os.networkInterfaces(). An alias
 * label (eth0:1) counts as its device: a datagram arrives on the device, whatever label its
 * address has. Pure.
 */
export function linksOf(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Map<string, Link> {
  const links = new Map<string, Link>();
  for (const [name, entries] of Object.entries(interfaces)) {
    const device = name.split(':')[0];
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4' || !entry.cidr) continue;
      const link = links.get(device) ?? { device, loopback: entry.internal, addresses: [] };
      link.addresses.push({ address: entry.address, prefix: Number(entry.cidr.split('/')[1]) });
      links.set(device, link);
    }
  }
  return links;
}

/** The networks of a link's addresses, as one set to check unicast destinations against. */
export function linkNetworks(link: Link): BlockList {
  const set = new BlockList();
  for (const a of link.addresses) set.addSubnet(a.address, a.prefix, 'ipv4');
  return set;
}

/** Whether address lies in the network of a (an address of this host and its prefix). */
export function inNetwork(address: string, a: LinkAddress): boolean {
  if (!isIPv4(address)) return false;
  const mask = a.prefix === 0 ? 0 : (~0 << (32 - a.prefix)) >>> 0;
  return ((ipv4Number(address) & mask) >>> 0) === ((ipv4Number(a.address) & mask) >>> 0);
}

const ipv4Number = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);

export const isLoopbackIpv4 = (address: string) => address.startsWith('127.');
