import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DhcpMessage, DhcpOption, type DhcpPacket, encodeDhcp } from '../../relay/dhcp/codec';
import { dhcpPeer, type DhcpPeer, pxeRequest, type ProxyDhcpRelay, startProxyDhcpRelay } from './support/dhcp';
import { prng } from './support/prng';

const TERMINAL = '127.0.0.2';
const FUZZER = '127.0.0.3';
const MAC = 'aa:bb:cc:00:61:01';

describe('proxyDHCP fuzzing', { timeout: 180_000 }, () => {
  let site: ProxyDhcpRelay;
  let terminal: DhcpPeer;
  let fuzzer: DhcpPeer;

  beforeAll(async () => {
    // The default served network: the loopback interface's 127.0.0.0/8, so no answer leaves it.
    site = await startProxyDhcpRelay({ RELAY_LOG_LEVEL: 'warn' });
    terminal = await dhcpPeer(TERMINAL, site.clientPort);
    fuzzer = await dhcpPeer(FUZZER);
  }, 60_000);

  afterAll(async () => {
    terminal?.close();
    fuzzer?.close();
    await site?.relay.stop();
  });

  it('survives 100,000 random and mutated datagrams, then answers a PXE client correctly', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261201);
    const random = prng(seed);
    const byte = () => Math.floor(random() * 256);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, byte));
    // Never 0.0.0.0: with neither giaddr nor ciaddr the answer would be a broadcast, which may leave loopback.
    const loopbackAddress = () => `127.${byte()}.${byte()}.${1 + Math.floor(random() * 254)}`;
    const anyAddress = () => `${1 + Math.floor(random() * 254)}.${byte()}.${byte()}.${byte()}`;
    const header = (packet: DhcpPacket) => encodeDhcp(packet).subarray(0, 240);
    const valid = (): DhcpPacket => {
      const type = random() < 0.5 ? DhcpMessage.DISCOVER : DhcpMessage.REQUEST;
      const packet = pxeRequest(MAC, random() < 0.5 ? { ciaddr: loopbackAddress() } : { ciaddr: loopbackAddress(), giaddr: anyAddress() }, type);
      packet.xid = Math.floor(random() * 0xffffffff);
      const arch = [0, 6, 7, 9, 16][Math.floor(random() * 5)];
      packet.options.set(DhcpOption.CLIENT_ARCH, Uint8Array.of(0, arch));
      if (random() < 0.3) packet.options.set(DhcpOption.USER_CLASS, Buffer.from('iPXE'));
      if (random() < 0.3) packet.options.set(DhcpOption.CLIENT_GUID, bytes(17));
      return packet;
    };
    const datagram = (): Buffer => {
      const kind = random();
      if (kind < 0.3) return bytes(Math.floor(random() * 700));
      if (kind < 0.6) {
        // A BOOTP header with the cookie, then random options (codes, lengths that may run past the end).
        const options = Array.from({ length: Math.floor(random() * 40) }, () => {
          const length = Math.floor(random() * 24);
          return [random() < 0.3 ? [53, 60, 77, 93, 97, 43][Math.floor(random() * 6)] : byte(), random() < 0.1 ? byte() : length, ...bytes(length)];
        }).flat();
        return Buffer.concat([header(valid()), Buffer.from(options)]);
      }
      if (kind < 0.95) {
        // A valid PXE request with bytes flipped, cut short or extended.
        const mutated = Buffer.from(encodeDhcp(valid()));
        for (let i = 0, n = Math.floor(random() * 5); i < n; i++) mutated[Math.floor(random() * mutated.length)] = byte();
        const cut = random() < 0.3 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
        return random() < 0.2 ? Buffer.concat([cut, bytes(Math.floor(random() * 64))]) : cut;
      }
      // Too long to be a DHCP message: one option repeated up to 4 KiB.
      const parts = 500 + Math.floor(random() * 800);
      return Buffer.concat([header(valid()), Buffer.from(Array.from({ length: parts }, () => [77, 1, byte()]).flat())]);
    };

    const total = 100_000;
    const deadline = Date.now() + 120_000;
    let sent = 0;
    while (sent < total && Date.now() < deadline) {
      // Bursts small enough for the kernel queue, yielding between them.
      for (let i = 0; i < 200 && sent < total; i++, sent++) fuzzer.socket.send(datagram(), random() < 0.7 ? site.dhcpPort : site.pxePort, '127.0.0.1');
      await new Promise((r) => setImmediate(r));
    }
    expect(sent).toBe(total);

    const offer = await terminal.exchange(pxeRequest(MAC, { ciaddr: TERMINAL }), site.dhcpPort);
    expect(offer).toMatchObject({ op: 2, yiaddr: '0.0.0.0', siaddr: '127.0.0.1', file: 'snponly.efi', sname: 'relay-test' });
    expect(offer!.options.get(DhcpOption.MESSAGE_TYPE)).toEqual(Uint8Array.of(DhcpMessage.OFFER));
    const ack = await terminal.exchange(pxeRequest(MAC, {}, DhcpMessage.REQUEST), site.pxePort);
    expect(ack?.options.get(DhcpOption.MESSAGE_TYPE)).toEqual(Uint8Array.of(DhcpMessage.ACK));
    const ipxe = pxeRequest(MAC, { ciaddr: TERMINAL });
    ipxe.options.set(DhcpOption.USER_CLASS, Buffer.from('iPXE'));
    expect((await terminal.exchange(ipxe, site.dhcpPort))?.file).toBe(`http://127.0.0.1:${site.relay.httpPort}/boot.ipxe?mac=${MAC}`);

    expect((await fetch(`${site.relay.http}/healthz`)).status).toBe(200);
    for (const reason of ['malformed', 'oversized', 'not_pxe', 'off_network']) {
      expect(await site.relay.metric('relay_dhcp_ignored_total', `reason="${reason}"`), reason).toBeGreaterThan(0);
    }
    expect(site.relay.process.child.exitCode).toBeNull();
  });
});
