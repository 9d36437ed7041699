import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { advertisedAddress, linkHolding } from './advertised-address';
import { inNetwork, type Link, linkNetworks, linksOf } from './links';

const entry = (address: string, cidr: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) =>
  ({ address, cidr, family, netmask: '', mac: '', internal }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [entry('127.0.0.1', '127.0.0.1/8', 'IPv4', true), entry('::1', '::1/128', 'IPv6', true)],
  eth0: [entry('10.20.0.5', '10.20.0.5/24'), entry('fd00::5', 'fd00::5/64', 'IPv6')],
  'eth0:1': [entry('10.21.0.5', '10.21.0.5/24')],
  eth1: [entry('192.168.7.2', '192.168.7.2/26')],
  wg0: [entry('fd01::1', 'fd01::1/64', 'IPv6')],
};
const links = linksOf(interfaces);
const lo = links.get('lo')!;
const eth0 = links.get('eth0')!;
const eth1 = links.get('eth1')!;
const noHints: string[] = ['0.0.0.0', '0.0.0.0', '0.0.0.0'];

describe('the links proxyDHCP answers on', () => {
  it('are the interfaces with an IPv4 address, an alias label counted as its device', () => {
    expect([...links.keys()]).toEqual(['lo', 'eth0', 'eth1']);
    expect(eth0).toEqual({ device: 'eth0', loopback: false, addresses: [{ address: '10.20.0.5', prefix: 24 }, { address: '10.21.0.5', prefix: 24 }] });
    expect(lo.loopback).toBe(true);
  });

  it('serve unicast answers to their own networks only', () => {
    const served = linkNetworks(eth0);
    expect(['10.20.0.77', '10.21.0.1'].map((a) => served.check(a, 'ipv4'))).toEqual([true, true]);
    expect(['10.22.0.1', '192.168.7.3', '127.0.0.1'].map((a) => served.check(a, 'ipv4'))).toEqual([false, false, false]);
    expect(inNetwork('192.168.7.63', { address: '192.168.7.2', prefix: 26 })).toBe(true);
    expect(inNetwork('192.168.7.64', { address: '192.168.7.2', prefix: 26 })).toBe(false);
    expect(inNetwork('8.8.8.8', { address: '10.0.0.1', prefix: 0 })).toBe(true);
  });
});

describe('the address an answer names', () => {
  it('is the relay’s address on the link the request came in on', () => {
    expect(advertisedAddress(eth0, noHints, null)).toEqual({ address: '10.20.0.5' });
    expect(advertisedAddress(eth1, noHints, null)).toEqual({ address: '192.168.7.2' });
    expect(advertisedAddress(lo, noHints, null)).toEqual({ address: '127.0.0.1' });
  });

  it('is, on a link with several addresses, the one on the client’s or its relay agent’s network', () => {
    expect(advertisedAddress(eth0, ['10.21.0.40', '0.0.0.0', '10.21.0.40'], null)).toEqual({ address: '10.21.0.5' });
    expect(advertisedAddress(eth0, ['0.0.0.0', '10.21.0.1', '10.21.0.1'], null)).toEqual({ address: '10.21.0.5' });
    // A relay agent on a network of no address here (routed): the link's first address.
    expect(advertisedAddress(eth0, ['0.0.0.0', '172.16.9.1', '172.16.9.1'], null)).toEqual({ address: '10.20.0.5' });
  });

  it('is nothing on a link that has no address (yet)', () => {
    expect(advertisedAddress(undefined, noHints, null)).toEqual({ refused: 'no_address' });
    expect(advertisedAddress({ device: 'eth2', loopback: false, addresses: [] }, noHints, null)).toEqual({ refused: 'no_address' });
  });

  it('is the override when one is set, but never a loopback address to a client off loopback', () => {
    expect(advertisedAddress(eth0, noHints, '10.20.0.9')).toEqual({ address: '10.20.0.9' });
    expect(advertisedAddress(lo, ['127.0.0.2', '0.0.0.0', '127.0.0.2'], '127.0.0.1')).toEqual({ address: '127.0.0.1' });
    expect(advertisedAddress(eth0, noHints, '127.0.0.1')).toEqual({ refused: 'loopback_only' });
    const strange: Link = { device: 'eth3', loopback: false, addresses: [{ address: '127.0.5.1', prefix: 8 }] };
    expect(advertisedAddress(strange, noHints, null)).toEqual({ refused: 'loopback_only' });
    // The link unknown: a sender on loopback is on loopback.
    expect(advertisedAddress(undefined, ['0.0.0.0', '0.0.0.0', '127.0.0.2'], '127.0.0.1')).toEqual({ address: '127.0.0.1' });
    expect(advertisedAddress(undefined, ['0.0.0.0', '0.0.0.0', '10.20.0.40'], '127.0.0.1')).toEqual({ refused: 'loopback_only' });
  });

  it('comes, where the receiving link cannot be known, from the link whose network holds the client', () => {
    expect(linkHolding(links.values(), ['0.0.0.0', '0.0.0.0', '192.168.7.9'])).toBe(eth1);
    expect(linkHolding(links.values(), ['10.21.0.7', '0.0.0.0', '10.21.0.7'])).toBe(eth0);
    expect(linkHolding(links.values(), noHints)).toBeUndefined();
  });
});
