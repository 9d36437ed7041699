import { inNetwork, isLoopbackIpv4, type Link } from './links';

export type AddressChoice = { address: string } | { refused: 'no_address' | 'loopback_only' };

/**
 * The address a proxyDHCP answer names as server identifier, siaddr and in its URLs: the relay's own
 * address on the link the request came in on, decided per request (a link may get its address after
 * the relay started, or change it). On a link with several addresses, the one whose network holds
 * the client (ciaddr), its relay agent (giaddr) or the sender, else the link's first. `override`
 * (RELAY_ADVERTISE_ADDRESS, or the one address the relay listens on) wins, but a loopback address
 * is never named to a client that is not on loopback: it would send the client to itself. Pure.
 */
export function advertisedAddress(link: Link | undefined, hints: readonly string[], override: string | null): AddressChoice {
  const onLoopback = link ? link.loopback : hints.some(isLoopbackIpv4);
  let address: string | undefined;
  if (override) address = override;
  else if (link) {
    const near = hints.filter((h) => h !== '0.0.0.0');
    address = (link.addresses.find((a) => near.some((h) => inNetwork(h, a))) ?? link.addresses[0])?.address;
  }
  if (!address) return { refused: 'no_address' };
  if (isLoopbackIpv4(address) && !onLoopback) return { refused: 'loopback_only' };
  return { address };
}

/** The link among links whose network holds one of the hints (when the receiving interface is not known). */
export function linkHolding(links: Iterable<Link>, hints: readonly string[]): Link | undefined {
  const near = hints.filter((h) => h !== '0.0.0.0');
  for (const link of links) if (link.addresses.some((a) => near.some((h) => inNetwork(h, a)))) return link;
  return undefined;
}
