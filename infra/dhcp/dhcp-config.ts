import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import { bootFilesWith } from '../../relay/dhcp/architectures';
import { fail } from '../cli/connection';
import type { DhcpSite } from './boot-plan';
import { dnsmasqConfig } from './dnsmasq';
import { iscDhcpdConfig } from './isc-dhcpd';
import { keaDhcp4Config } from './kea-dhcp4';
import { windowsDhcpScript } from './windows-dhcp';

/** Each DHCP server this command writes for, and the example of it in infra/dhcp/. */
export const DHCP_SERVERS = {
  isc: { write: iscDhcpdConfig, example: 'isc-dhcpd.conf' },
  kea: { write: keaDhcp4Config, example: 'kea-dhcp4.conf' },
  dnsmasq: { write: dnsmasqConfig, example: 'dnsmasq.conf' },
  windows: { write: windowsDhcpScript, example: 'windows-dhcp.ps1' },
} as const;
export type DhcpServerKind = keyof typeof DHCP_SERVERS;

/** The relays the committed examples name. */
export const EXAMPLE_RELAYS = ['10.20.0.5', '10.20.0.6'] as const;

export const dhcpConfigUsage = `usage: npx tandem dhcp-config --server isc|kea|dnsmasq|windows --relays <this server's relay>,<the other relay>
                             [--http-port 8080] [--boot-files 11=arm64/snponly.efi,…]
  Prints what the site's DHCP server needs so that terminals boot through the relays: the boot file
  per client architecture (as RELAY_BOOT_FILES, the relay's defaults unless --boot-files changes them)
  and the iPXE branch to the relay's per-terminal script.`;

/** What the command's arguments ask for, or a sentence saying what is wrong with them. Pure. */
export function dhcpConfigRequest(args: string[]): { server: DhcpServerKind; site: DhcpSite } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { server: { type: 'string' }, relays: { type: 'string' }, 'http-port': { type: 'string' }, 'boot-files': { type: 'string' } } }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  const server = values.server as DhcpServerKind | undefined;
  if (!server || !(server in DHCP_SERVERS)) return { error: `--server must be ${Object.keys(DHCP_SERVERS).join(', ')}` };
  const relays = (values.relays ?? '').split(',').map((r) => r.trim());
  if (relays.length !== 2 || !relays.every((r) => isIPv4(r)) || relays[0] === relays[1]) {
    return { error: '--relays takes the two relays’ IPv4 addresses, this DHCP server’s relay first (e.g. 10.20.0.5,10.20.0.6)' };
  }
  const httpPort = Number(values['http-port'] ?? 8080);
  if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) return { error: '--http-port must be a port number (the relays’ RELAY_HTTP_PORT)' };
  const bootFiles = bootFilesWith(values['boot-files'] ?? '');
  if ('error' in bootFiles) return { error: `--boot-files: ${bootFiles.error}` };
  return { server, site: { relay: relays[0], otherRelay: relays[1], httpPort, bootFiles: bootFiles.files } };
}

export const dhcpConfig = (server: DhcpServerKind, site: DhcpSite): string => DHCP_SERVERS[server].write(site);

/** `npx tandem dhcp-config …` */
export function dhcpConfigCommand(args: string[]): void {
  if (args.includes('--help')) return console.log(dhcpConfigUsage);
  const request = dhcpConfigRequest(args);
  if ('error' in request) fail(`${request.error}\n${dhcpConfigUsage}`);
  process.stdout.write(dhcpConfig(request.server, request.site));
}
