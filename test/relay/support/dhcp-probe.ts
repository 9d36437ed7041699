/**
 * A PXE client's DISCOVER, broadcast on one interface as firmware sends it (from 0.0.0.0:68, no
 * address of its own), sent up to `tries` times until an answer comes. Run inside a network
 * namespace (`ip netns exec`); prints one JSON line: the answer's fields, or null.
 *
 *   node --import tsx test/relay/support/dhcp-probe.ts <device> <mac> <arch> [ipxe] [tries]
 */
import { macToBytes } from '../../../functions/domain/mac';
import { clientRequest, decodeDhcp, DhcpMessage, DhcpOption, encodeDhcp } from '../../../relay/dhcp/codec';
import { deviceSocket } from '../../../relay/dhcp/device-socket';

const [device, mac, arch, ipxe, tries = '4'] = process.argv.slice(2);
const options = new Map<number, Uint8Array>([
  [DhcpOption.MESSAGE_TYPE, Uint8Array.of(DhcpMessage.DISCOVER)],
  [DhcpOption.VENDOR_CLASS, Buffer.from(`PXEClient:Arch:${arch.padStart(5, '0')}:UNDI:002001`)],
  [DhcpOption.CLIENT_ARCH, Uint8Array.of(Number(arch) >> 8, Number(arch) & 0xff)],
  [DhcpOption.CLIENT_GUID, Uint8Array.of(0, ...macToBytes(mac), ...new Array(10).fill(0x42))],
]);
if (ipxe === 'ipxe') options.set(DhcpOption.USER_CLASS, Buffer.from('iPXE'));
const request = clientRequest(mac, options);

const socket = await deviceSocket(device, '0.0.0.0', 68);
const answer = await new Promise<Record<string, unknown> | null>((resolve) => {
  socket.on('message', (message, remote) => {
    const decoded = decodeDhcp(message);
    if (!decoded.ok || decoded.packet.op !== 2 || decoded.packet.xid !== request.xid) return;
    const { siaddr, file, sname, options: got } = decoded.packet;
    resolve({ siaddr, file, sname, serverId: Array.from(got.get(DhcpOption.SERVER_ID) ?? []).join('.'), from: remote.address });
  });
  let sent = 0;
  const send = () => {
    if (sent++ === Number(tries)) return resolve(null);
    socket.send(encodeDhcp(request), 67, '255.255.255.255');
    setTimeout(send, 500).unref();
  };
  send();
});
process.stdout.write(`${JSON.stringify({ answer })}\n`);
socket.close();
