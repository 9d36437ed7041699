import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootReport } from '../../infra/emulator/boot-report';
import { startEmulate } from '../emulator-tool/support/emulate-process';
import { type EmulatorSite, startEmulatorSite } from '../emulator-tool/support/emulator-site';
import { tempDir } from './support/files';

interface PeerState {
  url: string;
  answers: boolean | null;
  lastError: string | null;
}
const peersOf = async (relayUrl: string): Promise<PeerState[]> => ((await (await fetch(`${relayUrl}/healthz`)).json()) as { peers: PeerState[] }).peers;

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await probe();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('both relays in every script: a relay that dies after handing out the script', { timeout: 240_000 }, () => {
  let site: EmulatorSite;

  beforeAll(async () => {
    site = await startEmulatorSite({ terminals: 1 });
  }, 180_000);

  afterAll(async () => {
    await site?.stop();
  });

  it('shows in /healthz whether each peer answers', async () => {
    const peers = await until(() => peersOf(site.endpoints.b.url), (p) => p[0]?.answers === true, 'relay B to see relay A');
    expect(peers).toEqual([expect.objectContaining({ url: site.endpoints.a.url, answers: true, lastError: null })]);
  });

  it('leaves the terminal to boot from the other relay, without a reboot', async () => {
    const mac = site.macs[0];
    // An earlier boot through relay B: B has this terminal's configuration and firmware, as after any boot there.
    const earlier = startEmulate(['--relays', `${site.endpoints.b.url},${site.endpoints.a.url}`, '--tftp-port', `${site.endpoints.b.tftpPort},${site.endpoints.a.tftpPort}`, '--mac', mac, '--exit']);
    await earlier.exitsWith(0);

    const json = join(tempDir('peer-fallback'), 'run.json');
    const run = startEmulate([...site.emulateArgs('list'), '--mac', mac, '--pause-after', 'script', '--exit', '--json', json]);
    try {
      await run.waitForLine(/^paused after the script: 1 terminal\(s\) wait/);
      // Relay A handed out the script; now it dies before the terminal fetches the firmware.
      await site.relays.a.stop();
      run.send('continue');
      await run.exitsWith(0);
    } finally {
      await run.kill();
    }
    const [report] = (JSON.parse(readFileSync(json, 'utf8')) as { reports: BootReport[] }).reports;
    expect(report).toMatchObject({ mac, ok: true, attempts: 1, firmware: 'tandem-os 2.0' });
    expect(report.servedBy.script).toBe(`${site.endpoints.a.url}/boot.ipxe?mac=${mac}`);
    expect(report.servedBy.firmware).toBe(`${site.endpoints.b.url}/firmware/fw/tandem-os-2.0.img`);
    expect(report.servedBy.config).toBe(`${site.endpoints.b.url}/config/${mac}`);
    // The script tried relay A first: iPXE said so before it went on to B.
    expect(report.messages.join('\n')).toContain(`Could not boot image: ECONNREFUSED ${site.endpoints.a.url}/firmware/fw/tandem-os-2.0.img`);

    const peers = await until(() => peersOf(site.endpoints.b.url), (p) => p[0]?.answers === false, 'relay B to see relay A gone');
    expect(peers[0]).toMatchObject({ url: site.endpoints.a.url, answers: false, lastError: 'ECONNREFUSED' });
    const metrics = await (await fetch(`${site.endpoints.b.url}/metrics`)).text();
    expect(metrics).toContain(`relay_peer_up{peer="${site.endpoints.a.url}"} 0`);
  });
});
