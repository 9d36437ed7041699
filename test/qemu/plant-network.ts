import { randomBytes, randomInt } from 'node:crypto';
import {
  addAddress,
  createBridge,
  createNamespace,
  createVethPair,
  deleteLeftoverNamespaces,
  deleteNamespace,
  enslave,
  ip,
  type LinkEnd,
  namespacePrefix,
  setLink,
} from '../support/netns';

/** A machine on the plant network: a namespace of its own, one link (eth0) into the plant's switch. */
export interface Station {
  ns: string;
  address: string;
  /** The switch port's state: down, the station's link has no carrier (a cable out, a switch port not up yet). */
  setCarrier(up: boolean): Promise<void>;
}

export interface PlantNetwork {
  /** This host's address on the plant network, where the handlers and the object store are reached. */
  host: string;
  /** The first three octets of the /24 (e.g. `10.231.7`). */
  subnet: string;
  /** The plant's IPv6 prefix (a random ULA /64), on the DHCP server's link: it sends the router advertisements. */
  ipv6Prefix: string;
  dhcpServer: Station;
  relayA: Station;
  relayB: Station;
  /** The terminals' namespace: a bridge joined to the plant network, and a tap per machine. */
  terminals: { ns: string; taps: string[] };
  destroy(): Promise<void>;
}

const TAG = 'tq';

/** A /24 in 10.0.0.0/8 that no route of this host touches. */
async function freeSubnet(): Promise<string> {
  const routes = await ip(null, '-4', 'route', 'show', 'table', 'all');
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.${randomInt(200, 250)}.${randomInt(1, 250)}`;
    if (!routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.x.y.0/24 for the plant network');
}

/**
 * The plant network, in namespaces this test makes and deletes: a switch (a bridge in a namespace
 * of its own), this host on it (the handlers and the object store), the site's DHCP server, two
 * relays, and a namespace for the terminals where each machine's tap is bridged to the switch.
 * Addresses: .1 this host, .2 the DHCP server, .11 relay A, .12 relay B, .100–.199 the terminals.
 */
export async function createPlantNetwork(options: { taps: string[] }): Promise<PlantNetwork> {
  await deleteLeftoverNamespaces(TAG);
  const prefix = namespacePrefix(TAG);
  const subnet = await freeSubnet();
  const made: string[] = [];
  const namespace = async (role: string) => {
    const name = `${prefix}-${role}`;
    made.push(name);
    return createNamespace(name);
  };
  const destroy = async () => {
    for (const name of made.reverse()) await deleteNamespace(name);
  };
  try {
    const plant = await namespace('plant');
    await createBridge(plant, 'switch');
    /** A link from `end` to a new port of the switch, up on both sides. */
    const plug = async (end: LinkEnd, port: string): Promise<LinkEnd> => {
      const switchPort = { ns: plant, name: port };
      await createVethPair(end, switchPort);
      await enslave(switchPort, 'switch');
      await setLink(switchPort, 'up');
      await setLink(end, 'up');
      return switchPort;
    };

    const uplink = { ns: null, name: `${prefix}h` };
    await plug(uplink, 'p-host');
    await addAddress(uplink, `${subnet}.1/24`);

    const station = async (role: string, host: number): Promise<Station> => {
      const ns = await namespace(role);
      const eth0 = { ns, name: 'eth0' };
      const port = await plug(eth0, `p-${role}`);
      const address = `${subnet}.${host}`;
      await addAddress(eth0, `${address}/24`);
      return { ns, address, setCarrier: async (up) => void (await setLink(port, up ? 'up' : 'down')) };
    };
    const dhcpServer = await station('dhcp', 2);
    const id = randomBytes(5).toString('hex');
    const ipv6Prefix = `fd${id.slice(0, 2)}:${id.slice(2, 6)}:${id.slice(6)}:1::`;
    await ip(dhcpServer.ns, 'addr', 'add', `${ipv6Prefix}2/64`, 'dev', 'eth0', 'nodad');
    const relayA = await station('relay-a', 11);
    const relayB = await station('relay-b', 12);

    const terminals = await namespace('term');
    await createBridge(terminals, 'br0');
    const terminalUplink = { ns: terminals, name: 'uplink' };
    await plug(terminalUplink, 'p-term');
    await enslave(terminalUplink, 'br0');
    for (const tap of options.taps) {
      await ip(terminals, 'tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await enslave({ ns: terminals, name: tap }, 'br0');
      await setLink({ ns: terminals, name: tap }, 'up');
    }
    return { host: `${subnet}.1`, subnet, ipv6Prefix, dhcpServer, relayA, relayB, terminals: { ns: terminals, taps: options.taps }, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
