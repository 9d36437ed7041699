import { describe, expect, it } from 'vitest';
import { addressSet } from '../settings';
import { replyDestination } from './reply-address';

const served = addressSet([{ address: '10.20.0.0', prefix: 24, family: 'ipv4' }]);
const ports = { dhcpPort: 67, clientPort: 68 };
const none = { giaddr: '0.0.0.0', ciaddr: '0.0.0.0' };
const sender = { address: '10.20.0.31', port: 68 };

describe('where a proxyDHCP answer goes', () => {
  it('follows RFC 2131 inside the served network', () => {
    expect(replyDestination('pxe', none, sender, ports, served)).toEqual(sender);
    expect(replyDestination('dhcp', { ...none, giaddr: '10.20.0.1' }, sender, ports, served)).toEqual({ address: '10.20.0.1', port: 67 });
    expect(replyDestination('dhcp', { ...none, ciaddr: '10.20.0.31' }, sender, ports, served)).toEqual({ address: '10.20.0.31', port: 68 });
    // giaddr wins over ciaddr: the answer goes back through the relay agent.
    expect(replyDestination('dhcp', { giaddr: '10.20.0.1', ciaddr: '10.20.0.31' }, sender, ports, served)).toEqual({ address: '10.20.0.1', port: 67 });
    expect(replyDestination('dhcp', none, sender, ports, served)).toEqual({ address: '255.255.255.255', port: 68 });
  });

  it('sends nothing to an address off the served network, whoever names it', () => {
    const off = { refused: 'off_network' };
    expect(replyDestination('dhcp', { ...none, giaddr: '203.0.113.9' }, sender, ports, served)).toEqual(off);
    expect(replyDestination('dhcp', { ...none, ciaddr: '203.0.113.9' }, sender, ports, served)).toEqual(off);
    // An in-network ciaddr does not rescue an off-network giaddr.
    expect(replyDestination('dhcp', { giaddr: '203.0.113.9', ciaddr: '10.20.0.31' }, sender, ports, served)).toEqual(off);
    expect(replyDestination('pxe', none, { address: '203.0.113.9', port: 4011 }, ports, served)).toEqual(off);
    expect(replyDestination('dhcp', { ...none, ciaddr: '10.20.1.5' }, sender, ports, served)).toEqual(off);
  });
});
