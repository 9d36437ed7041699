import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOOT_FILES } from '../../relay/dhcp/architectures';
import { clientRequest, DhcpMessage, DhcpOption, type DhcpPacket, encodeDhcp } from '../../relay/dhcp/codec';
import { ProxyDhcpServer, type ProxyDhcpStatus } from '../../relay/dhcp/proxy-dhcp';
import { createLogger } from '../../relay/observe/log';
import { Metrics } from '../../relay/observe/metrics';
import { freePort } from '../support/ports';
import { dhcpPeer, type DhcpPeer } from './support/dhcp';

const TERMINAL = '127.0.0.2';
const SERVABLE = 'aa:bb:cc:00:63:01';
const ELSEWHERE = 'aa:bb:cc:00:63:02';

/** A PXE DISCOVER from the terminal's own address (ciaddr: the answer comes back unicast on loopback). */
function discover(mac: string, arch: number): DhcpPacket {
  return clientRequest(
    mac,
    new Map<number, Uint8Array>([
      [DhcpOption.MESSAGE_TYPE, Uint8Array.of(DhcpMessage.DISCOVER)],
      [DhcpOption.VENDOR_CLASS, Buffer.from(`PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016`)],
      [DhcpOption.CLIENT_ARCH, Uint8Array.of(arch >> 8, arch & 0xff)],
    ]),
    { ciaddr: TERMINAL },
  );
}

/**
 * The proxyDHCP server in this process on loopback, real sockets: who it does not answer, and
 * what it says about it. It may serve only the terminals `servable` holds (the config cache's
 * say, RELAY_PROXYDHCP's mayOffer), and its ARM64 loader is configured but missing from the tree.
 */
describe('proxyDHCP stays silent where another boot server can do better, and says why', { timeout: 60_000 }, () => {
  const servable = new Set([SERVABLE]);
  const lines: string[] = [];
  const metrics = new Metrics();
  let server: ProxyDhcpServer;
  let status: ProxyDhcpStatus;
  let terminal: DhcpPeer;

  beforeAll(async () => {
    const clientPort = await freePort('udp');
    terminal = await dhcpPeer(TERMINAL, clientPort);
    server = new ProxyDhcpServer(
      {
        host: '127.0.0.1',
        dhcpPort: 0,
        pxePort: 0,
        clientPort,
        advertiseAddress: null,
        networks: null,
        bootFiles: new Map([...DEFAULT_BOOT_FILES, [11, 'arm64/snponly.efi']]),
        httpPort: 8080,
        relayId: 'relay-a',
        mayOffer: (mac) => servable.has(mac),
        hasBootFile: (file) => file !== 'arm64/snponly.efi',
      },
      createLogger({}, 'info', (line) => void lines.push(line)),
      metrics,
    );
    status = await server.listen();
  });

  afterAll(async () => {
    terminal?.close();
    await server?.close();
  });

  const ignored = (labels: Record<string, string>) => metrics.counter('relay_dhcp_ignored_total', '').get(labels);
  const events = (event: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === event);
  /** Sends the requests that must stay unanswered, then one that is answered: the port handles datagrams in order. */
  async function unanswered(...requests: DhcpPacket[]): Promise<void> {
    for (const request of requests) await terminal.send(encodeDhcp(request), status.dhcpPort);
    expect(await terminal.exchange(discover(SERVABLE, 7), status.dhcpPort)).not.toBeNull();
    for (const request of requests) expect(terminal.answers.some((a) => a.xid === request.xid)).toBe(false);
  }

  it('answers on the loopback link with that link’s own address, none being set', async () => {
    expect(status.interfaces).toHaveLength(1);
    expect(status.interfaces[0]).toMatch(/^lo 127\.0\.0\.1\/8/);
    const offer = await terminal.exchange(discover(SERVABLE, 0), status.dhcpPort);
    expect(offer).toMatchObject({ siaddr: '127.0.0.1', file: 'undionly.kpxe' });
  });

  it('does not offer to boot a terminal this relay cannot serve, and does once it can', async () => {
    await unanswered(discover(ELSEWHERE, 7));
    expect(ignored({ reason: 'cannot_serve' })).toBe(1);
    servable.add(ELSEWHERE);
    expect((await terminal.exchange(discover(ELSEWHERE, 7), status.dhcpPort))?.file).toBe('snponly.efi');
  });

  it('does not answer an architecture it has no boot file for, counts it per architecture and says so once', async () => {
    await unanswered(discover(SERVABLE, 27), discover(SERVABLE, 27), discover(SERVABLE, 25));
    expect(ignored({ reason: 'no_boot_file', arch: '27' })).toBe(2);
    expect(ignored({ reason: 'no_boot_file', arch: '25' })).toBe(1);
    expect(events('dhcp_no_boot_file').map((r) => [r.arch, r.architecture])).toEqual([
      [27, 'RISC-V64 UEFI'],
      [25, 'RISC-V32 UEFI'],
    ]);
  });

  it('does not offer a loader its boot tree lacks', async () => {
    await unanswered(discover(SERVABLE, 11));
    expect(ignored({ reason: 'boot_file_missing', arch: '11' })).toBe(1);
  });
});
