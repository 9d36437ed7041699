import { createSocket, type Socket } from 'node:dgram';
import { clientRequest, decodeDhcp, DhcpMessage, DhcpOption, type DhcpPacket, encodeDhcp } from '../../../relay/dhcp/codec';
import { waitFor } from '../../../infra/local/processes';
import { freePort } from '../../support/ports';
import { bootTreeWithLoaders } from './files';
import { startTestRelay, type TestRelay } from './relay-process';
import { startStandInHandler } from './stand-in-handler';

/** A UEFI x64 PXE client's DISCOVER (or REQUEST), with the relay agent and client addresses a test picks. */
export function pxeRequest(mac: string, addresses: { ciaddr?: string; giaddr?: string } = {}, type: number = DhcpMessage.DISCOVER): DhcpPacket {
  return clientRequest(
    mac,
    new Map<number, Uint8Array>([
      [DhcpOption.MESSAGE_TYPE, Uint8Array.of(type)],
      [DhcpOption.VENDOR_CLASS, Buffer.from('PXEClient:Arch:00007:UNDI:003016', 'latin1')],
      [DhcpOption.CLIENT_ARCH, Uint8Array.of(0, 7)],
    ]),
    addresses,
  );
}

/** A UDP socket on one loopback address that keeps every DHCP answer it receives. */
export interface DhcpPeer {
  socket: Socket;
  answers: DhcpPacket[];
  send(bytes: Uint8Array, port: number): Promise<void>;
  /** Sends the request to port and waits (ten seconds at most) for the answer with its xid. */
  exchange(request: DhcpPacket, port: number): Promise<DhcpPacket | null>;
  close(): void;
}

export async function dhcpPeer(address: string, port = 0): Promise<DhcpPeer> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const answers: DhcpPacket[] = [];
  socket.on('message', (message) => {
    const decoded = decodeDhcp(message);
    if (decoded.ok && decoded.packet.op === 2) answers.push(decoded.packet);
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(port, address, () => resolve()));
  const send = (bytes: Uint8Array, to: number) => new Promise<void>((resolve) => socket.send(bytes, to, '127.0.0.1', () => resolve()));
  return {
    socket,
    answers,
    send,
    async exchange(request, to) {
      await send(encodeDhcp(request), to);
      for (let i = 0; i < 200; i++) {
        const answer = answers.find((a) => a.xid === request.xid);
        if (answer) return answer;
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    },
    close: () => socket.close(),
  };
}

export interface ProxyDhcpRelay {
  relay: TestRelay;
  dhcpPort: number;
  pxePort: number;
  /** Where the relay sends answers to a client's own address (RELAY_DHCP_CLIENT_PORT). */
  clientPort: number;
}

/** A relay answering proxyDHCP on 127.0.0.1, on high ports, telling clients to boot from 127.0.0.1, with Debian's loaders in its boot folder. */
export async function startProxyDhcpRelay(env: Record<string, string> = {}): Promise<ProxyDhcpRelay> {
  const [dhcpPort, pxePort, clientPort] = [await freePort('udp'), await freePort('udp'), await freePort('udp')];
  // A relay offers to boot only a terminal it can serve: unless the test names handlers, one that knows every terminal.
  const handler = env.RELAY_HANDLERS ? null : await startStandInHandler();
  const relay = await startTestRelay({
    RELAY_PROXYDHCP: 'on',
    ...(handler && { RELAY_HANDLERS: handler.url }),
    RELAY_DHCP_HOST: '127.0.0.1',
    RELAY_DHCP_PORT: String(dhcpPort),
    RELAY_PXE_PORT: String(pxePort),
    RELAY_DHCP_CLIENT_PORT: String(clientPort),
    RELAY_ADVERTISE_ADDRESS: '127.0.0.1',
    RELAY_BOOT_DIR: bootTreeWithLoaders(),
    ...env,
  }).catch(async (error) => {
    await handler?.close();
    throw error;
  });
  const stop = relay.stop;
  relay.stop = async () => {
    await stop();
    await handler?.close();
  };
  // proxyDHCP stays silent until the relay's cache is filled.
  await waitFor(async () => (await (await fetch(`${relay.http}/healthz`)).json()).cache?.ready === true, () => 'the relay to fill its cache', 30_000).catch(async (error) => {
    await relay.stop();
    throw error;
  });
  return { relay, dhcpPort, pxePort, clientPort };
}
