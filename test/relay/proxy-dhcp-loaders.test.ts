import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDebianLoaders } from '../../relay/files/boot-tree';
import { waitFor } from '../../infra/local/processes';
import { dhcpPeer, type DhcpPeer, pxeRequest, type ProxyDhcpRelay, startProxyDhcpRelay } from './support/dhcp';
import { tempDir } from './support/files';

const TERMINAL = '127.0.0.2';
const MAC = 'aa:bb:cc:00:65:01';

/**
 * A relay whose boot tree lacks the loaders it would offer: it says so at start and in /healthz,
 * offers none of them (another boot server may have it), and offers each once it is copied in.
 */
describe('proxyDHCP and the boot loaders in the boot tree', { timeout: 120_000 }, () => {
  const bootDir = tempDir('relay-boot-empty');
  let site: ProxyDhcpRelay;
  let terminal: DhcpPeer;

  beforeAll(async () => {
    site = await startProxyDhcpRelay({ RELAY_BOOT_DIR: bootDir, RELAY_BOOT_FILES: '11=arm64/snponly.efi' });
    terminal = await dhcpPeer(TERMINAL, site.clientPort);
  }, 90_000);

  afterAll(async () => {
    terminal?.close();
    await site?.relay.stop();
  });

  const warnings = async () => ((await (await fetch(`${site.relay.http}/healthz`)).json()) as { warnings: string[] }).warnings;

  it('says at start and in /healthz which loaders it lacks, and offers none of them', async () => {
    const said = site.relay.process.records().find((r) => r.event === 'boot_loader_missing');
    expect(said).toMatchObject({ level: 'warn', bootDir, missing: ['undionly.kpxe', 'snponly.efi', 'arm64/snponly.efi'] });
    const now = await warnings();
    for (const file of ['undionly.kpxe', 'snponly.efi', 'arm64/snponly.efi']) expect(now.some((w) => w.includes(`boot loader ${file} is not in RELAY_BOOT_DIR`)), file).toBe(true);
    expect(await terminal.exchange(pxeRequest(MAC, { ciaddr: TERMINAL }), site.dhcpPort)).toBeNull();
    expect(await site.relay.metric('relay_dhcp_ignored_total', 'arch="7",reason="boot_file_missing"')).toBe(1);
  });

  it('offers a loader once it is in the boot tree, and stops warning about it', async () => {
    expect(installDebianLoaders(bootDir)).toEqual(['undionly.kpxe', 'snponly.efi']);
    await waitFor(async () => !(await warnings()).some((w) => w.includes('boot loader snponly.efi ')), () => 'the warning to go', 30_000);
    expect((await warnings()).filter((w) => w.startsWith('boot loader'))).toEqual([expect.stringContaining('boot loader arm64/snponly.efi is not in RELAY_BOOT_DIR')]);
    expect((await terminal.exchange(pxeRequest(MAC, { ciaddr: TERMINAL }), site.dhcpPort))?.file).toBe('snponly.efi');
  });
});
