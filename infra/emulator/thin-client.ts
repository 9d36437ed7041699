import { createSocket, type Socket } from 'node:dgram';
import { macToBytes } from '../../functions/domain/mac';
import { clientRequest, decodeDhcp, DhcpMessage, DhcpOption, type DhcpPacket, encodeDhcp } from '../../relay/dhcp/codec';
import { encodeError, TftpError } from '../../relay/tftp/codec';
import { RawTftpClient } from './tftp-client';

/**
 * A thin client booting the way UEFI PXE firmware and then iPXE do, against one relay:
 * proxyDHCP offer (port 67) and boot server ACK (port 4011), a TFTP size probe ended with
 * ERROR 8, the boot loader over TFTP, then as iPXE the per-terminal script over HTTP, the
 * firmware it chains and the configuration. Loopback only: the relay must be started with
 * RELAY_DHCP_CLIENT_PORT set to the emulator's port, and ciaddr is sent so answers are unicast.
 */
export interface EmulatorTarget {
  dhcpPort: number;
  pxePort: number;
  tftpPort: number;
  /** The port this client listens on for DHCP answers (the relay's RELAY_DHCP_CLIENT_PORT). */
  clientPort: number;
}

export interface BootTrace {
  offer: { file: string; siaddr: string };
  ack: { file: string };
  probedSize: number;
  loader: Buffer;
  ipxeFile: string;
  script: string;
  firmware: Buffer | null;
  config: unknown;
}

function request(mac: string, type: number, arch: number, userClass?: string): DhcpPacket {
  const options = new Map<number, Uint8Array>([
    [DhcpOption.MESSAGE_TYPE, Uint8Array.of(type)],
    [DhcpOption.VENDOR_CLASS, Buffer.from(`PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016`)],
    [DhcpOption.CLIENT_ARCH, Uint8Array.of(arch >> 8, arch & 0xff)],
    [DhcpOption.CLIENT_GUID, Uint8Array.of(0, ...macToBytes(mac), ...new Array(10).fill(0x42))],
  ]);
  if (userClass) options.set(DhcpOption.USER_CLASS, Buffer.from(userClass));
  return clientRequest(mac, options, { ciaddr: '127.0.0.1' });
}

function exchange(socket: Socket, packet: DhcpPacket, port: number): Promise<DhcpPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`no DHCP answer on port ${port}`));
    }, 5000);
    const onMessage = (message: Buffer) => {
      const decoded = decodeDhcp(message);
      if (!decoded.ok || decoded.packet.xid !== packet.xid || decoded.packet.op !== 2) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(decoded.packet);
    };
    socket.on('message', onMessage);
    socket.send(encodeDhcp(packet), port, '127.0.0.1');
  });
}

async function tftpGet(port: number, file: string): Promise<{ size: number; data: Buffer }> {
  // UEFI firmware asks for the size first and ends that transfer with ERROR 8.
  const probe = await RawTftpClient.open(port);
  let size: number;
  try {
    const answer = await probe.requestAndWait(file, [['tsize', '0'], ['blksize', '1468']]);
    if (answer.packet.op !== 'oack') throw new Error(`size probe for ${file}: ${JSON.stringify(answer.packet)}`);
    size = Number(answer.packet.options.find(([n]) => n === 'tsize')?.[1]);
    probe.sendToTransfer(encodeError(TftpError.OptionRefused, 'tsize probe'));
  } finally {
    await probe.close();
  }
  const client = await RawTftpClient.open(port);
  try {
    const { data } = await client.fetch(file, [['blksize', '1468'], ['windowsize', '4']]);
    return { size, data };
  } finally {
    await client.close();
  }
}

export async function emulateBoot(mac: string, target: EmulatorTarget): Promise<BootTrace> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(target.clientPort, '127.0.0.1', () => resolve()));
  try {
    const offer = await exchange(socket, request(mac, DhcpMessage.DISCOVER, 7), target.dhcpPort);
    const ack = await exchange(socket, request(mac, DhcpMessage.REQUEST, 7), target.pxePort);
    const loader = await tftpGet(target.tftpPort, ack.file);
    if (loader.size !== loader.data.length) throw new Error('size probe and download disagree');
    // The loader is iPXE: it asks DHCP again, now with its user class.
    const ipxe = await exchange(socket, request(mac, DhcpMessage.DISCOVER, 7, 'iPXE'), target.dhcpPort);
    const script = await (await fetch(ipxe.file)).text();
    const chain = /^chain (?:--\S+ )*(\S+)/m.exec(script);
    const firmware = chain ? Buffer.from(await (await fetch(chain[1])).arrayBuffer()) : null;
    const configUrl = /^set tandem-config (\S+)/m.exec(script)?.[1] ?? ipxe.file.replace(/\/boot\.ipxe\?mac=.*/, `/config/${mac}`);
    const config = await (await fetch(configUrl)).json();
    return {
      offer: { file: offer.file, siaddr: offer.siaddr },
      ack: { file: ack.file },
      probedSize: loader.size,
      loader: loader.data,
      ipxeFile: ipxe.file,
      script,
      firmware,
      config,
    };
  } finally {
    socket.close();
  }
}
