import type { BlockList } from 'node:net';

export interface ReplyPorts {
  /** The relay's DHCP port (67): where a relay agent listens for answers. */
  dhcpPort: number;
  /** Where clients listen (68). */
  clientPort: number;
}

export type ReplyDestination = { address: string; port: number } | { refused: 'off_network' };

/**
 * Where a proxyDHCP answer goes (RFC 2131 4.1): on the PXE port back to the sender; on the DHCP
 * port to the relay agent (giaddr), else to the client's own address (ciaddr), else broadcast on
 * the local segment. giaddr and ciaddr are whatever the datagram says, so a unicast answer goes
 * only to an address on a network this relay serves; anything else would be reflected traffic
 * aimed at an address of the sender's choosing.
 */
export function replyDestination(
  role: 'dhcp' | 'pxe',
  request: { giaddr: string; ciaddr: string },
  sender: { address: string; port: number },
  ports: ReplyPorts,
  served: BlockList,
): ReplyDestination {
  let to: { address: string; port: number };
  if (role === 'pxe') to = sender;
  else if (request.giaddr !== '0.0.0.0') to = { address: request.giaddr, port: ports.dhcpPort };
  else if (request.ciaddr !== '0.0.0.0') to = { address: request.ciaddr, port: ports.clientPort };
  else return { address: '255.255.255.255', port: ports.clientPort };
  return served.check(to.address, 'ipv4') ? to : { refused: 'off_network' };
}
