import { macFromBytes } from '../../functions/domain/mac';
import { type BootFiles, type BootTransport, chooseBootFile, clientArchitectures } from './architectures';
import { DhcpMessage, DhcpOption, type DhcpPacket, optionText } from './codec';

/**
 * What a proxyDHCP server tells a PXE client (PXE 2.1, UEFI HTTP boot): no address, only where to
 * boot from. Pure, in two steps: what to offer (decided the same way by both relays of a site) and
 * the answer naming the relay that sends it.
 */

/** Option 175: iPXE's own encapsulated options; only iPXE sends it. */
const IPXE_OPTIONS = 175;

/** What a client is offered: the per-terminal script (iPXE), or a boot loader. Keyed on the MAC (chaddr), never on the GUID. */
export type PxeOffer = { mac: string; kind: 'ipxe' } | { mac: string; kind: 'loader'; arch: number; file: string; transport: BootTransport };

export type IgnoreReason = 'not_pxe' | 'no_architecture' | 'no_boot_file';

export type PxeDecision = { offer: PxeOffer; replyType: number } | { ignored: IgnoreReason; archs?: number[] };

/**
 * iPXE says who it is in its user class (option 77): "iPXE" as it sends it, or as one entry of an
 * RFC 3004 list (each entry length-prefixed) as some DHCP stacks relay it; or by sending option 175.
 */
export function isIpxe(request: DhcpPacket): boolean {
  if (request.options.has(IPXE_OPTIONS)) return true;
  const userClass = request.options.get(DhcpOption.USER_CLASS);
  if (!userClass) return false;
  if (Buffer.from(userClass).toString('latin1') === 'iPXE') return true;
  for (let at = 0; at < userClass.length; ) {
    const length = userClass[at];
    const end = at + 1 + length;
    if (length === 0 || end > userClass.length) return false;
    if (Buffer.from(userClass.subarray(at + 1, end)).toString('latin1') === 'iPXE') return true;
    at = end;
  }
  return false;
}

/**
 * Whether and what to answer: a DISCOVER on the DHCP port, a REQUEST (or INFORM) on the PXE port
 * (4011); anything else is the site DHCP server's, and is never NAKed. The architecture comes from
 * option 93 alone (the digits in option 60 are free text some firmware gets wrong). iPXE gets the
 * script, never a loader again: that is what ends the chainload loop.
 */
export function decidePxe(request: DhcpPacket, port: 'dhcp' | 'pxe', bootFiles: BootFiles): PxeDecision {
  if (request.op !== 1 || request.hlen !== 6) return { ignored: 'not_pxe' };
  const vendor = optionText(request, DhcpOption.VENDOR_CLASS) ?? '';
  const httpClient = vendor.startsWith('HTTPClient');
  if (!vendor.startsWith('PXEClient') && !httpClient) return { ignored: 'not_pxe' };
  const type = request.options.get(DhcpOption.MESSAGE_TYPE)?.[0];
  let replyType: number;
  if (port === 'dhcp' && type === DhcpMessage.DISCOVER) replyType = DhcpMessage.OFFER;
  else if (port === 'pxe' && (type === DhcpMessage.REQUEST || type === DhcpMessage.INFORM)) replyType = DhcpMessage.ACK;
  else return { ignored: 'not_pxe' };

  const mac = macFromBytes(request.chaddr);
  if (isIpxe(request)) return { offer: { mac, kind: 'ipxe' }, replyType };
  const archs = clientArchitectures(request.options.get(DhcpOption.CLIENT_ARCH));
  if (!archs) return { ignored: 'no_architecture' };
  const choice = chooseBootFile(archs, bootFiles);
  if ('missing' in choice) return { ignored: 'no_boot_file', archs: choice.missing };
  // A UEFI HTTP client fetches by URL only, whatever architecture it names.
  const transport = httpClient ? 'http' : choice.transport;
  return { offer: { mac, kind: 'loader', arch: choice.arch, file: choice.file, transport }, replyType };
}

/** The relay answering: the address it is reached at on the client's network, its HTTP port, its name. */
export interface AnsweringRelay {
  address: string;
  httpPort: number;
  relayId: string;
}

/** The boot file field of the answer: a TFTP path, or an http:// URL on the answering relay. */
export function bootFileField(offer: PxeOffer, relay: AnsweringRelay): string {
  const http = `http://${relay.address}:${relay.httpPort}`;
  if (offer.kind === 'ipxe') return `${http}/boot.ipxe?mac=${offer.mac}`;
  return offer.transport === 'http' ? `${http}/${offer.file}` : offer.file;
}

/** The answer to the request: the offer, from the relay at relay.address. */
export function pxeReply(request: DhcpPacket, decided: { offer: PxeOffer; replyType: number }, relay: AnsweringRelay): DhcpPacket {
  const { offer, replyType } = decided;
  const http = offer.kind === 'loader' && offer.transport === 'http';
  const options = new Map<number, Uint8Array>();
  options.set(DhcpOption.MESSAGE_TYPE, Uint8Array.of(replyType));
  options.set(DhcpOption.SERVER_ID, Uint8Array.from(relay.address.split('.').map(Number)));
  options.set(DhcpOption.VENDOR_CLASS, Buffer.from(http ? 'HTTPClient' : 'PXEClient', 'latin1'));
  const guid = request.options.get(DhcpOption.CLIENT_GUID);
  if (guid) options.set(DhcpOption.CLIENT_GUID, guid);
  // PXE_DISCOVERY_CONTROL = 8: take the boot file named here, no boot server discovery.
  if (!http) options.set(DhcpOption.VENDOR_SPECIFIC, Uint8Array.of(6, 1, 8, 255));
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
    siaddr: relay.address,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: relay.relayId.slice(0, 63),
    file: bootFileField(offer, relay),
    options,
  };
}
