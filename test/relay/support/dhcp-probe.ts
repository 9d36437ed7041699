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
  // What firmware asks for: boot server and file (66, 67), vendor options and class (43, 60).
  [DhcpOption.PARAMETER_LIST, Uint8Array.of(1, 3, 6, 43, 60, 66, 67, 97)],
]);
if (ipxe === 'ipxe') options.set(DhcpOption.USER_CLASS, Buffer.from('iPXE'));
// The broadcast flag, as BIOS PXE ROMs set it: a DHCP server answers by broadcast, not to an address this client has not taken.
const request = clientRequest(mac, options, { flags: 0x8000 });

const socket = await deviceSocket(device, '0.0.0.0', 68);
let timer: NodeJS.Timeout | undefined;
const answer = await new Promise<Record<string, unknown> | null>((resolve) => {
  socket.on('message', (message, remote) => {
    const decoded = decodeDhcp(message);
    if (!decoded.ok || decoded.packet.op !== 2 || decoded.packet.xid !== request.xid) return;
    const { siaddr, sname, options: got } = decoded.packet;
    // dnsmasq ends option 67 with a NUL, for clients that expect one.
    const text = (code: number) => (got.has(code) ? Buffer.from(got.get(code)!).toString('latin1').replace(/\0+$/, '') : null);
    // A server may name the boot file in option 67 (asked for, as firmware does) rather than the file field.
    const file = decoded.packet.file || (text(67) ?? '');
    resolve({ siaddr, file, sname, serverId: Array.from(got.get(DhcpOption.SERVER_ID) ?? []).join('.'), vendorClass: text(DhcpOption.VENDOR_CLASS), from: remote.address });
  });
  let sent = 0;
  const send = () => {
    if (sent++ === Number(tries)) return resolve(null);
    socket.send(encodeDhcp(request), 67, '255.255.255.255');
    timer = setTimeout(send, 500);
  };
  send();
}).finally(() => clearTimeout(timer));
process.stdout.write(`${JSON.stringify({ answer })}\n`);
socket.close();
