import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DhcpMessage, encodeDhcp } from '../../relay/dhcp/codec';
import { dhcpPeer, type DhcpPeer, pxeRequest, type ProxyDhcpRelay, startProxyDhcpRelay } from './support/dhcp';

/**
 * proxyDHCP against what an attacker on the plant network can send it. The relay serves
 * 127.0.0.0/30: the terminal at 127.0.0.2 is on it, the victim at 127.0.0.9 is not, and the
 * attacker sends from 127.0.0.3.
 */
const TERMINAL = '127.0.0.2';
const ATTACKER = '127.0.0.3';
const VICTIM = '127.0.0.9';
const MAC = 'aa:bb:cc:00:60:01';

describe('proxyDHCP on the open network', { timeout: 60_000 }, () => {
  let site: ProxyDhcpRelay;
  let terminal: DhcpPeer;
  /** The terminal's own address, on the port relay agents listen on. */
  let terminalAgent: DhcpPeer;
  let attacker: DhcpPeer;
  let victimClient: DhcpPeer;
  let victimAgent: DhcpPeer;

  beforeAll(async () => {
    site = await startProxyDhcpRelay({ RELAY_DHCP_NETWORKS: '127.0.0.0/30' });
    terminal = await dhcpPeer(TERMINAL, site.clientPort);
    terminalAgent = await dhcpPeer(TERMINAL, site.dhcpPort);
    attacker = await dhcpPeer(ATTACKER);
    victimClient = await dhcpPeer(VICTIM, site.clientPort);
    victimAgent = await dhcpPeer(VICTIM, site.dhcpPort);
  }, 60_000);

  afterAll(async () => {
    for (const peer of [terminal, terminalAgent, attacker, victimClient, victimAgent]) peer?.close();
    await site?.relay.stop();
  });

  const ignored = (reason: string) => site.relay.metric('relay_dhcp_ignored_total', `reason="${reason}"`);

  it('does not decode a 64 KB datagram, and answers the next PXE client', async () => {
    // One option repeated as often as a UDP datagram allows: the worst case for decoding.
    const header = encodeDhcp(pxeRequest(MAC)).subarray(0, 240);
    const parts = Math.floor((65_507 - header.length - 1) / 3);
    const options = Buffer.alloc(parts * 3 + 1, 0xff);
    for (let k = 0; k < parts; k++) options.set([77, 1, 0x41], k * 3);
    await attacker.send(Buffer.concat([header, options]), site.dhcpPort);

    // Datagrams to one port are handled in order: once the terminal has its answer, the big one was dealt with.
    const answer = await terminal.exchange(pxeRequest(MAC, { ciaddr: TERMINAL }), site.dhcpPort);
    expect(answer?.file).toBe('snponly.efi');
    expect(await ignored('oversized')).toBe(1);
  });

  it('sends no answer to a relay agent or client address off the network it serves', async () => {
    await attacker.send(encodeDhcp(pxeRequest(MAC, { giaddr: VICTIM })), site.dhcpPort);
    await attacker.send(encodeDhcp(pxeRequest(MAC, { ciaddr: VICTIM })), site.dhcpPort);
    // The PXE port answers whoever sent the request: a sender off the network gets nothing either.
    await victimAgent.send(encodeDhcp(pxeRequest(MAC, {}, DhcpMessage.REQUEST)), site.pxePort);

    // The same requests from on the network are answered, after the ones above (same ports, in order).
    expect((await terminalAgent.exchange(pxeRequest(MAC, { giaddr: TERMINAL }), site.dhcpPort))?.file).toBe('snponly.efi');
    expect((await terminal.exchange(pxeRequest(MAC, { ciaddr: TERMINAL }), site.dhcpPort))?.file).toBe('snponly.efi');
    expect((await terminal.exchange(pxeRequest(MAC, {}, DhcpMessage.REQUEST), site.pxePort))?.file).toBe('snponly.efi');
    // Let any datagram already on its way to the victim arrive.
    await new Promise((r) => setTimeout(r, 200));

    expect(victimClient.answers).toEqual([]);
    expect(victimAgent.answers).toEqual([]);
    expect(attacker.answers).toEqual([]);
    expect(await ignored('off_network')).toBe(3);
  });
});
