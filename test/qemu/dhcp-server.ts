import { join } from 'node:path';
import { waitFor } from '../../infra/local/processes';
import { startInNamespace, type NsProcess } from './ns-process';
import type { Station } from './plant-network';

/**
 * The site's own DHCP server: dnsmasq handing out addresses (.100–.199) and nothing else, as a
 * plant's DHCP server does when the relays answer PXE clients as proxyDHCP. No DNS (`--port=0`),
 * no TFTP, no configuration file; on IPv6 router advertisements only. `bootOptions` adds dnsmasq options (a next-server setup).
 */
export async function startDhcpServer(station: Station, subnet: string, dir: string, bootOptions: string[] = []): Promise<NsProcess> {
  const server = startInNamespace(station.ns, [
    'dnsmasq',
    '--keep-in-foreground',
    '--log-facility=-',
    '--log-dhcp',
    '--conf-file=/dev/null',
    '--port=0',
    '--user=root',
    '--group=root',
    '--interface=eth0',
    '--bind-interfaces',
    '--dhcp-authoritative',
    `--dhcp-range=${subnet}.100,${subnet}.199,255.255.255.0,1h`,
    // Router advertisements (addresses from the prefix on eth0): iPXE configures IPv4 and IPv6 at
    // once and waits about 20 s for a router that never answers; with one, a few seconds.
    '--enable-ra',
    '--dhcp-range=::,constructor:eth0,ra-only',
    `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    ...bootOptions,
  ]);
  try {
    await waitFor(async () => /DHCP, IP range/.test(server.output()) || server.child.exitCode !== null, () => `dnsmasq to start:\n${server.output()}`, 15_000);
    if (server.child.exitCode !== null) throw new Error(`dnsmasq exited (${server.child.exitCode}):\n${server.output()}`);
  } catch (error) {
    await server.kill();
    throw error;
  }
  return server;
}

/**
 * What works with today's relays: the site's DHCP server names one relay as next-server with the
 * boot file per client (iPXE, x64 UEFI, BIOS), the relay's address set by hand.
 */
export function nextServerOptions(relay: string): string[] {
  return [
    // On the command line a value is not unquoted as in a configuration file.
    '--dhcp-match=set:ipxe,77,iPXE',
    '--dhcp-match=set:efi64,option:client-arch,7',
    '--dhcp-match=set:efi64,option:client-arch,9',
    `--dhcp-boot=tag:ipxe,http://${relay}:8080/boot.ipxe?mac=\${net0/mac}`,
    `--dhcp-boot=tag:efi64,tag:!ipxe,snponly.efi,relay,${relay}`,
    `--dhcp-boot=tag:!efi64,tag:!ipxe,undionly.kpxe,relay,${relay}`,
  ];
}
