import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6, ipv6Bytes, sockaddr } from './sockaddr';

describe('sockaddr', () => {
  it('lays out sockaddr_in: family in host order, port in network order, then the address', () => {
    const b = sockaddr('192.168.1.20', 69);
    expect(b.length).toBe(16);
    expect(b.readUInt16LE(0)).toBe(AF_INET);
    expect(b.readUInt16BE(2)).toBe(69);
    expect([...b.subarray(4, 8)]).toEqual([192, 168, 1, 20]);
    expect(b.subarray(8).every((x) => x === 0)).toBe(true);
  });

  it('lays out sockaddr_in6 with a numeric zone as the scope id', () => {
    const b = sockaddr('fe80::1%3', 4011);
    expect(b.length).toBe(28);
    expect(b.readUInt16LE(0)).toBe(AF_INET6);
    expect(b.readUInt16BE(2)).toBe(4011);
    expect(b.subarray(8, 24).toString('hex')).toBe('fe800000000000000000000000000001');
    expect(b.readUInt32LE(24)).toBe(3);
  });

  it('expands :: wherever it stands, and a dotted IPv4 tail', () => {
    expect(ipv6Bytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipv6Bytes('::').toString('hex')).toBe('0'.repeat(32));
    expect(ipv6Bytes('2001:db8::').toString('hex')).toBe('20010db8000000000000000000000000');
    expect(ipv6Bytes('2001:db8:0:0:1:2:3:4').toString('hex')).toBe('20010db8000000000001000200030004');
    expect(ipv6Bytes('::ffff:10.1.2.3').toString('hex')).toBe('00000000000000000000ffff0a010203');
    expect(ipv6Bytes('64:ff9b::192.0.2.33').toString('hex')).toBe('0064ff9b0000000000000000c0000221');
  });

  it('refuses what is not an address', () => {
    expect(() => sockaddr('relay.local', 69)).toThrow(/not an IP address/);
  });
});
