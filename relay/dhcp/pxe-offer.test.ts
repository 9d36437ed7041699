import { describe, expect, it } from 'vitest';
import { ARCHITECTURES, type BootFiles, DEFAULT_BOOT_FILES } from './architectures';
import * as captured from './captured-packets.fixture';
import { clientRequest, decodeDhcp, DhcpMessage, DhcpOption, type DhcpPacket, optionText } from './codec';
import { decidePxe, isIpxe, type PxeDecision, pxeReply } from './pxe-offer';

const relayA = { address: '10.20.0.5', httpPort: 8080, relayId: 'relay-a' };
const relayB = { address: '10.20.0.6', httpPort: 8080, relayId: 'relay-b' };
const MAC = 'aa:bb:cc:00:00:01';
const GUID = Uint8Array.of(0, ...new Array(16).fill(7));

type Option = [number, Uint8Array | string];

/** A PXE client's request: option 93 with the architectures given (none: no option 93), vendor class PXEClient unless extra says. */
function request(archs: number[] | null, extra: Option[] = [], type: number = DhcpMessage.DISCOVER, mac = MAC): DhcpPacket {
  const options: Option[] = [
    [DhcpOption.MESSAGE_TYPE, Uint8Array.of(type)],
    [DhcpOption.VENDOR_CLASS, 'PXEClient:Arch:00000:UNDI:002001'],
    [DhcpOption.CLIENT_GUID, GUID],
  ];
  if (archs) options.push([DhcpOption.CLIENT_ARCH, Uint8Array.from(archs.flatMap((a) => [a >> 8, a & 0xff]))]);
  const all = new Map<number, Uint8Array>(options.map(([code, v]) => [code, typeof v === 'string' ? Buffer.from(v, 'latin1') : v]));
  for (const [code, v] of extra) all.set(code, typeof v === 'string' ? Buffer.from(v, 'latin1') : v);
  return clientRequest(mac, all, { xid: 0x1234abcd, flags: 0x8000 });
}

const decoded = (bytes: Buffer): DhcpPacket => {
  const result = decodeDhcp(bytes);
  if (!result.ok) throw new Error(result.reason);
  return result.packet;
};

/** The boot file field relay A would answer with, or why it stays silent. */
function answer(packet: DhcpPacket, port: 'dhcp' | 'pxe' = 'dhcp', files: BootFiles = DEFAULT_BOOT_FILES): string {
  const decided = decidePxe(packet, port, files);
  return 'ignored' in decided ? `ignored: ${decided.ignored}` : pxeReply(packet, decided, relayA).file;
}

const replyTo = (packet: DhcpPacket, port: 'dhcp' | 'pxe' = 'dhcp', relay = relayA) => {
  const decided = decidePxe(packet, port, DEFAULT_BOOT_FILES);
  if ('ignored' in decided) throw new Error(`ignored: ${decided.ignored}`);
  return pxeReply(packet, decided, relay);
};

describe('proxyDHCP decisions on captured packets', () => {
  it('offers undionly.kpxe to a BIOS PXE ROM, with discovery control 8 and its GUID echoed', () => {
    const discover = decoded(captured.pixiecoreBiosDiscover);
    const reply = replyTo(discover);
    expect(reply).toMatchObject({ op: 2, xid: discover.xid, yiaddr: '0.0.0.0', siaddr: '10.20.0.5', file: 'undionly.kpxe', sname: 'relay-a' });
    expect(reply.chaddr).toEqual(discover.chaddr);
    expect(reply.options.get(DhcpOption.MESSAGE_TYPE)).toEqual(Uint8Array.of(DhcpMessage.OFFER));
    expect(reply.options.get(DhcpOption.SERVER_ID)).toEqual(Uint8Array.of(10, 20, 0, 5));
    expect(reply.options.get(DhcpOption.VENDOR_SPECIFIC)).toEqual(Uint8Array.of(6, 1, 8, 255));
    expect(reply.options.get(DhcpOption.CLIENT_GUID)).toEqual(discover.options.get(DhcpOption.CLIENT_GUID));
  });

  it('offers snponly.efi to OVMF’s own UEFI PXE client (arch 7)', () => {
    expect(answer(decoded(captured.ovmfPxeDiscover))).toBe('snponly.efi');
  });

  it('gives OVMF’s UEFI HTTP boot (arch 16, HTTPClient) a URL and the vendor class HTTPClient', () => {
    const reply = replyTo(decoded(captured.ovmfHttpDiscover));
    expect(reply.file).toBe('http://10.20.0.5:8080/snponly.efi');
    expect(optionText(reply, DhcpOption.VENDOR_CLASS)).toBe('HTTPClient');
  });

  it('sends the iPXE ROM of SeaBIOS to the per-terminal script, not to another loader', () => {
    const discover = decoded(captured.seabiosIpxeDiscover);
    expect(isIpxe(discover)).toBe(true);
    expect(answer(discover)).toBe('http://10.20.0.5:8080/boot.ipxe?mac=52:54:00:12:34:56');
  });

  it('sends snponly.efi, once OVMF has loaded it, to the script and never to snponly.efi again', () => {
    const discover = decoded(captured.ovmfSnponlyDiscover);
    expect(discover.options.get(DhcpOption.CLIENT_ARCH)).toEqual(Uint8Array.of(0, 7));
    expect(answer(discover)).toBe('http://10.20.0.5:8080/boot.ipxe?mac=52:54:00:12:34:59');
  });

  it('leaves DHCP server traffic alone: its offers, a client’s REQUEST to it, a client that is not PXE', () => {
    expect(answer(decoded(captured.pixiecoreServerOffer))).toBe('ignored: not_pxe');
    expect(answer(decoded(captured.seabiosIpxeServerRequest))).toBe('ignored: not_pxe');
    expect(answer(decoded(captured.pixiecoreRelayedRequest))).toBe('ignored: not_pxe');
  });
});

describe('proxyDHCP decisions on built packets', () => {
  it('answers every architecture of the table with its own file, fetched as the table says, and no other', () => {
    const everyFile = new Map([...ARCHITECTURES.keys()].map((code) => [code, `arch-${code}.efi`]));
    for (const [code, arch] of ARCHITECTURES) {
      const vendor: Option = [DhcpOption.VENDOR_CLASS, `${arch.transport === 'http' ? 'HTTPClient' : 'PXEClient'}:Arch:${String(code).padStart(5, '0')}`];
      const packet = request([code], [vendor]);
      const expected = arch.transport === 'http' ? `http://10.20.0.5:8080/arch-${code}.efi` : `arch-${code}.efi`;
      expect(answer(packet, 'dhcp', everyFile), arch.name).toBe(expected);
      expect(answer(packet, 'dhcp', DEFAULT_BOOT_FILES), arch.name).toBe(
        DEFAULT_BOOT_FILES.has(code) ? (arch.transport === 'http' ? `http://10.20.0.5:8080/snponly.efi` : DEFAULT_BOOT_FILES.get(code)) : 'ignored: no_boot_file',
      );
    }
  });

  it('never offers an x86 loader to an ARM64 or RISC-V client, and names the architecture it has nothing for', () => {
    for (const code of [11, 19, 25, 27, 28]) {
      expect(decidePxe(request([code]), 'dhcp', DEFAULT_BOOT_FILES)).toEqual({ ignored: 'no_boot_file', archs: [code] });
    }
    expect(decidePxe(request([4242]), 'dhcp', DEFAULT_BOOT_FILES)).toEqual({ ignored: 'no_boot_file', archs: [4242] });
  });

  it('takes the first architecture a client lists that has a file', () => {
    expect(answer(request([27, 7]))).toBe('snponly.efi');
    expect(answer(request([7, 0]))).toBe('snponly.efi');
    expect(answer(request([0, 7]))).toBe('undionly.kpxe');
    const site = new Map([...DEFAULT_BOOT_FILES, [27, 'riscv64/ipxe.efi']]);
    expect(answer(request([27, 7]), 'dhcp', site)).toBe('riscv64/ipxe.efi');
    expect(decidePxe(request([11, 27]), 'dhcp', DEFAULT_BOOT_FILES)).toEqual({ ignored: 'no_boot_file', archs: [11, 27] });
  });

  it('does not answer a client that names no architecture, or a malformed one', () => {
    expect(answer(request(null))).toBe('ignored: no_architecture');
    expect(answer(request(null, [[DhcpOption.CLIENT_ARCH, Uint8Array.of(0, 7, 0)]]))).toBe('ignored: no_architecture');
  });

  it('goes by option 93, never by the digits in option 60', () => {
    expect(answer(request([7], [[DhcpOption.VENDOR_CLASS, 'PXEClient:Arch:00000:UNDI:002001']]))).toBe('snponly.efi');
    expect(answer(request([0], [[DhcpOption.VENDOR_CLASS, 'PXEClient:Arch:00007:UNDI:003016']]))).toBe('undionly.kpxe');
    expect(answer(request([27], [[DhcpOption.VENDOR_CLASS, 'PXEClient:Arch:00007:UNDI:003016']]))).toBe('ignored: no_boot_file');
  });

  it('recognises iPXE by its user class, raw or in RFC 3004 form, or by option 175, and sends it the script', () => {
    const script = `http://10.20.0.5:8080/boot.ipxe?mac=${MAC}`;
    expect(answer(request([7], [[DhcpOption.USER_CLASS, 'iPXE']]))).toBe(script);
    expect(answer(request([7], [[DhcpOption.USER_CLASS, '\x04iPXE']]))).toBe(script);
    expect(answer(request([7], [[DhcpOption.USER_CLASS, '\x05plant\x04iPXE']]))).toBe(script);
    expect(answer(request([0], [[175, Uint8Array.of(0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e)]]))).toBe(script);
    // No architecture is needed to be sent the script, and an architecture without a loader does not matter.
    expect(answer(request(null, [[DhcpOption.USER_CLASS, 'iPXE']]))).toBe(script);
    expect(answer(request([27], [[DhcpOption.USER_CLASS, 'iPXE']]))).toBe(script);
  });

  it('does not take other user classes for iPXE', () => {
    for (const userClass of ['iPXE2', 'xiPXE', '\x05iPXE2', '\x09iPXE', 'gPXE', '']) {
      expect(isIpxe(request([7], [[DhcpOption.USER_CLASS, userClass]])), JSON.stringify(userClass)).toBe(false);
    }
    expect(answer(request([7], [[DhcpOption.USER_CLASS, 'iPXE2']]))).toBe('snponly.efi');
  });

  it('gives a UEFI HTTP boot client (arch 16) the vendor class HTTPClient and a URL, without PXE options', () => {
    const reply = replyTo(request([16], [[DhcpOption.VENDOR_CLASS, 'HTTPClient:Arch:00016:UNDI:003001']]));
    expect(reply.file).toBe('http://10.20.0.5:8080/snponly.efi');
    expect(optionText(reply, DhcpOption.VENDOR_CLASS)).toBe('HTTPClient');
    expect(reply.options.has(DhcpOption.VENDOR_SPECIFIC)).toBe(false);
    // An HTTPClient is fetched over HTTP even when it names a PXE architecture.
    expect(answer(request([7], [[DhcpOption.VENDOR_CLASS, 'HTTPClient:Arch:00007']]))).toBe('http://10.20.0.5:8080/snponly.efi');
  });

  it('answers a DISCOVER on port 67 and a REQUEST on port 4011, and nothing else', () => {
    const decided = (type: number, port: 'dhcp' | 'pxe'): PxeDecision => decidePxe(request([7], [], type), port, DEFAULT_BOOT_FILES);
    expect(decided(DhcpMessage.DISCOVER, 'dhcp')).toMatchObject({ replyType: DhcpMessage.OFFER });
    expect(decided(DhcpMessage.REQUEST, 'pxe')).toMatchObject({ replyType: DhcpMessage.ACK });
    expect(decided(DhcpMessage.INFORM, 'pxe')).toMatchObject({ replyType: DhcpMessage.ACK });
    expect(replyTo(request([7], [], DhcpMessage.REQUEST), 'pxe').file).toBe('snponly.efi');
    // A REQUEST on port 67 is for the DHCP server that offered an address.
    expect(decided(DhcpMessage.REQUEST, 'dhcp')).toEqual({ ignored: 'not_pxe' });
    expect(decided(DhcpMessage.DISCOVER, 'pxe')).toEqual({ ignored: 'not_pxe' });
  });

  it('never NAKs, whatever the message type and port', () => {
    for (let type = 0; type <= 18; type++) {
      for (const port of ['dhcp', 'pxe'] as const) {
        const decided = decidePxe(request([7], [], type), port, DEFAULT_BOOT_FILES);
        if ('ignored' in decided) continue;
        expect(decided.replyType, `type ${type} on ${port}`).not.toBe(DhcpMessage.NAK);
        expect([DhcpMessage.OFFER, DhcpMessage.ACK]).toContain(pxeReply(request([7], [], type), decided, relayA).options.get(DhcpOption.MESSAGE_TYPE)![0]);
      }
    }
  });

  it('echoes option 97 as the client sent it, and sends none when it sent none', () => {
    const guid = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    expect(replyTo(request([7], [[DhcpOption.CLIENT_GUID, guid]])).options.get(DhcpOption.CLIENT_GUID)).toEqual(guid);
    const withoutGuid = request([7]);
    withoutGuid.options.delete(DhcpOption.CLIENT_GUID);
    expect(replyTo(withoutGuid).options.has(DhcpOption.CLIENT_GUID)).toBe(false);
  });

  it('keys a terminal on its MAC, not its GUID (clones share GUIDs; a GUID says nothing the handlers know)', () => {
    const ipxe: Option = [DhcpOption.USER_CLASS, 'iPXE'];
    const first = request([7], [ipxe, [DhcpOption.CLIENT_GUID, GUID]], DhcpMessage.DISCOVER, 'aa:bb:cc:00:00:01');
    const clone = request([7], [ipxe, [DhcpOption.CLIENT_GUID, GUID]], DhcpMessage.DISCOVER, 'aa:bb:cc:00:00:02');
    const regenerated = request([7], [ipxe, [DhcpOption.CLIENT_GUID, Uint8Array.of(0, ...new Array(16).fill(9))]], DhcpMessage.DISCOVER, 'aa:bb:cc:00:00:01');
    expect(answer(first)).toBe('http://10.20.0.5:8080/boot.ipxe?mac=aa:bb:cc:00:00:01');
    expect(answer(clone)).toBe('http://10.20.0.5:8080/boot.ipxe?mac=aa:bb:cc:00:00:02');
    expect(answer(regenerated)).toBe(answer(first));
    expect(decidePxe(first, 'dhcp', DEFAULT_BOOT_FILES)).toMatchObject({ offer: { mac: 'aa:bb:cc:00:00:01' } });
  });

  it('is decided the same way by both relays, each naming itself', () => {
    const packet = request([0, 7], [[DhcpOption.USER_CLASS, 'iPXE']]);
    expect(decidePxe(packet, 'dhcp', DEFAULT_BOOT_FILES)).toEqual(decidePxe(packet, 'dhcp', DEFAULT_BOOT_FILES));
    const [a, b] = [replyTo(packet, 'dhcp', relayA), replyTo(packet, 'dhcp', relayB)];
    expect([a.siaddr, b.siaddr]).toEqual(['10.20.0.5', '10.20.0.6']);
    expect([a.sname, b.sname]).toEqual(['relay-a', 'relay-b']);
    expect(b.options.get(DhcpOption.SERVER_ID)).toEqual(Uint8Array.of(10, 20, 0, 6));
    expect(b.file).toBe(`http://10.20.0.6:8080/boot.ipxe?mac=${MAC}`);
  });

  it('leaves clients that are not PXE, and replies, to the DHCP server', () => {
    const plain = clientRequest(MAC, new Map([[DhcpOption.MESSAGE_TYPE, Uint8Array.of(DhcpMessage.DISCOVER)]]));
    expect(answer(plain)).toBe('ignored: not_pxe');
    expect(answer({ ...request([0]), op: 2 })).toBe('ignored: not_pxe');
    expect(answer(request([0], [[DhcpOption.VENDOR_CLASS, 'MSFT 5.0']]))).toBe('ignored: not_pxe');
    expect(answer(request([0], [], DhcpMessage.RELEASE))).toBe('ignored: not_pxe');
  });
});
