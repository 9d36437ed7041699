import { macFromBytes } from '../../functions/domain/mac';
import { DhcpMessage, DhcpOption, type DhcpPacket, optionText } from './codec';

/**
 * What a proxyDHCP server tells a PXE client (PXE 2.1, UEFI HTTP boot): no address, only where
 * to boot from. Pure: the relay's address and file names are handed in.
 */
export interface PxeSettings {
  /** The address terminals reach this relay at. */
  address: string;
  httpPort: number;
  relayId: string;
  biosFile: string;
  efiFile: string;
}

type ClientKind = 'ipxe' | 'uefi-http' | 'uefi' | 'bios';

function clientKind(request: DhcpPacket): ClientKind {
  const userClass = request.options.get(DhcpOption.USER_CLASS);
  // iPXE sends the user class "iPXE" (some DHCP stacks prefix it with its length, RFC 3004).
  if (userClass && Buffer.from(userClass).toString('latin1').includes('iPXE')) return 'ipxe';
  const arch = request.options.get(DhcpOption.CLIENT_ARCH);
  const code = arch && arch.length >= 2 ? (arch[0] << 8) | arch[1] : 0;
  if (code === 16 || optionText(request, DhcpOption.VENDOR_CLASS)?.startsWith('HTTPClient')) return 'uefi-http';
  if (code === 6 || code === 7 || code === 9) return 'uefi';
  return 'bios';
}

function bootFileFor(kind: ClientKind, mac: string, settings: PxeSettings): string {
  const http = `http://${settings.address}:${settings.httpPort}`;
  switch (kind) {
    case 'ipxe':
      return `${http}/boot.ipxe?mac=${mac}`;
    case 'uefi-http':
      return `${http}/${settings.efiFile}`;
    case 'uefi':
      return settings.efiFile;
    case 'bios':
      return settings.biosFile;
  }
}

/**
 * The answer to a PXE client's DISCOVER (port 67) or REQUEST (port 4011), or null when the
 * packet is not one to answer (not a PXE client, not a request, a reply).
 */
export function pxeReply(request: DhcpPacket, settings: PxeSettings): DhcpPacket | null {
  if (request.op !== 1 || request.hlen !== 6) return null;
  const vendor = optionText(request, DhcpOption.VENDOR_CLASS) ?? '';
  if (!vendor.startsWith('PXEClient') && !vendor.startsWith('HTTPClient')) return null;
  const type = request.options.get(DhcpOption.MESSAGE_TYPE)?.[0];
  let replyType: number;
  if (type === DhcpMessage.DISCOVER) replyType = DhcpMessage.OFFER;
  else if (type === DhcpMessage.REQUEST || type === DhcpMessage.INFORM) replyType = DhcpMessage.ACK;
  else return null;

  const mac = macFromBytes(request.chaddr);
  const kind = clientKind(request);
  const file = bootFileFor(kind, mac, settings);
  const options = new Map<number, Uint8Array>();
  options.set(DhcpOption.MESSAGE_TYPE, Uint8Array.of(replyType));
  options.set(DhcpOption.SERVER_ID, Uint8Array.from(settings.address.split('.').map(Number)));
  options.set(DhcpOption.VENDOR_CLASS, Buffer.from(kind === 'uefi-http' ? 'HTTPClient' : 'PXEClient', 'latin1'));
  const guid = request.options.get(DhcpOption.CLIENT_GUID);
  if (guid) options.set(DhcpOption.CLIENT_GUID, guid);
  // PXE_DISCOVERY_CONTROL = 8: take the boot file named here, no boot server discovery.
  if (kind !== 'uefi-http') options.set(DhcpOption.VENDOR_SPECIFIC, Uint8Array.of(6, 1, 8, 255));
  return {
    op: 2,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: request.ciaddr,
    yiaddr: '0.0.0.0',
    siaddr: settings.address,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: settings.relayId.slice(0, 63),
    file,
    options,
  };
}
