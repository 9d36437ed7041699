import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulateBoot } from '../../infra/emulator/thin-client';
import type { ApiClient } from '../support/handler';
import { freePort } from '../support/ports';
import { randomFile, sha256, tempDir } from './support/files';
import type { TestRelay } from './support/relay-process';
import { type FirmwareSite, seedTerminals, startFirmwareSite } from './support/site';

const MAC = 'aa:bb:cc:00:30:01';

describe('a thin client boots end to end through proxyDHCP, TFTP and HTTP', { timeout: 120_000 }, () => {
  let site: FirmwareSite;
  let admin: ApiClient;
  let relay: TestRelay;
  let loader: Buffer;
  let clientPort: number;
  const firmware = randomBytes(3 * 1024 * 1024 + 5);

  beforeAll(async () => {
    site = await startFirmwareSite();
    admin = site.admin;
    await site.store.put('fw/tc-os-7.img', firmware);
    await seedTerminals(admin, [MAC], { name: 'tc-os', version: '7.0', objectKey: 'fw/tc-os-7.img', sha256: sha256(firmware), size: firmware.length });

    const boot = tempDir('relay-boot');
    loader = randomFile(boot, 'snponly.efi', 200_000);
    clientPort = await freePort('udp');
    relay = await site.startRelay({
      RELAY_BOOT_DIR: boot,
      RELAY_PROXYDHCP: 'on',
      RELAY_DHCP_HOST: '127.0.0.1',
      RELAY_DHCP_PORT: String(await freePort('udp')),
      RELAY_PXE_PORT: String(await freePort('udp')),
      RELAY_DHCP_CLIENT_PORT: String(clientPort),
      RELAY_ADVERTISE_ADDRESS: '127.0.0.1',
    });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await site?.stop();
  });

  const ports = () => {
    const listening = relay.process.records().find((r) => r.event === 'relay_listening') as { proxyDhcp: { dhcpPort: number; pxePort: number } };
    return { dhcpPort: listening.proxyDhcp.dhcpPort, pxePort: listening.proxyDhcp.pxePort, tftpPort: relay.tftpPort, clientPort };
  };

  it('offers the boot loader, serves it, chains the verified firmware and hands over the configuration', async () => {
    const trace = await emulateBoot(MAC, ports());
    expect(trace.offer).toEqual({ file: 'snponly.efi', siaddr: '127.0.0.1' });
    expect(trace.ack.file).toBe('snponly.efi');
    expect(trace.probedSize).toBe(loader.length);
    expect(trace.loader.equals(loader)).toBe(true);
    expect(trace.ipxeFile).toBe(`http://127.0.0.1:${relay.httpPort}/boot.ipxe?mac=${MAC}`);
    expect(trace.script).toContain('tc-os 7.0');
    expect(trace.firmware && sha256(trace.firmware)).toBe(sha256(firmware));
    expect(trace.config).toMatchObject({ mac: MAC, firmware: { version: '7.0' } });
    expect(await relay.metric('relay_tftp_transfers_total', 'outcome="probe"')).toBe(1);
  });

  it('records the boot on the handler with the firmware the relay served', async () => {
    let status: { mac: string; firmwareVersion: string | null; source: string } | undefined;
    for (let i = 0; i < 50 && !status?.firmwareVersion; i++) {
      status = (await admin.get('/api/v1/terminal-status')).body.items.find((s: { mac: string }) => s.mac === MAC);
      if (!status?.firmwareVersion) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({ mac: MAC, relayId: 'relay-test', firmwareVersion: '7.0', source: 'live' });
  });

  it('does not answer DHCP clients that are not PXE clients', async () => {
    const before = await relay.metric('relay_dhcp_ignored_total', 'reason="not_pxe"');
    const socket = createSocket('udp4');
    const bytes = Buffer.alloc(300);
    bytes[0] = 1;
    bytes[1] = 1;
    bytes[2] = 6;
    bytes.writeUInt32BE(0x63825363, 236);
    bytes.set([53, 1, 1, 255], 240);
    await new Promise<void>((resolve) => socket.send(bytes, ports().dhcpPort, '127.0.0.1', () => resolve()));
    socket.close();
    for (let i = 0; i < 50 && (await relay.metric('relay_dhcp_ignored_total', 'reason="not_pxe"')) === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await relay.metric('relay_dhcp_ignored_total', 'reason="not_pxe"')).toBe(before + 1);
  });
});
