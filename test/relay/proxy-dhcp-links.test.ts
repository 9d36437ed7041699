import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/local/processes';
import { startInNamespace, type NsProcess } from '../qemu/ns-process';
import { addAddress, createNamespace, createVethPair, deleteLeftoverNamespaces, deleteNamespace, namespacePrefix, setLink } from '../support/netns';
import { ConfigCache } from '../../relay/upstream/config-cache';
import { randomFile, tempDir } from './support/files';
import { documentFor } from './support/stand-in-handler';

const run = promisify(execFile);
const TAG = 'tdl';
const MAC = 'aa:bb:cc:00:62:01';

interface ProbeAnswer {
  siaddr: string;
  serverId: string;
  file: string;
  from: string;
}

/**
 * proxyDHCP on real links, in namespaces this test makes: a relay with two links (vr1, vr2), each
 * to a client namespace where a PXE client broadcasts from 0.0.0.0 as firmware does. The relay
 * starts before vr1 has an address, as under systemd at power-on before DHCP or the switch port.
 */
describe('proxyDHCP names its own address on the link each request came in on', { timeout: 240_000 }, () => {
  const prefix = namespacePrefix(TAG);
  const relayNs = `${prefix}-relay`;
  const clientNs = [`${prefix}-c1`, `${prefix}-c2`];
  let relay: NsProcess | undefined;

  /** A DISCOVER from the client namespace's link, sent up to `tries` times (every 500 ms) until answered. */
  async function discover(client: number, options: { arch?: number; ipxe?: boolean; tries?: number } = {}): Promise<ProbeAnswer | null> {
    const argv = ['netns', 'exec', clientNs[client], process.execPath, '--import', 'tsx', 'test/relay/support/dhcp-probe.ts'];
    argv.push(`vc${client + 1}`, MAC, String(options.arch ?? 0), options.ipxe ? 'ipxe' : 'pxe', String(options.tries ?? 3));
    const { stdout } = await run('ip', argv, { timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    return (JSON.parse(stdout.trim().split('\n').pop()!) as { answer: ProbeAnswer | null }).answer;
  }

  beforeAll(async () => {
    await deleteLeftoverNamespaces(TAG);
    await createNamespace(relayNs);
    for (const [i, ns] of clientNs.entries()) {
      await createNamespace(ns);
      const ends = [{ ns: relayNs, name: `vr${i + 1}` }, { ns, name: `vc${i + 1}` }] as const;
      await createVethPair(ends[0], ends[1]);
      for (const end of ends) await setLink(end, 'up');
    }
    // The second network has its address from the start; the first gets it once the relay runs.
    await addAddress({ ns: relayNs, name: 'vr2' }, '10.71.2.1/24');
    // The terminal's last-known-good configuration: no handler is reachable from the relay's namespace,
    // and a relay offers to boot only a terminal it can serve.
    const cacheDir = tempDir('relay-cache');
    await new ConfigCache(`${cacheDir}/configs`).write({ mac: MAC, etag: '"v1"', fetchedAt: new Date().toISOString(), handler: 'http://127.0.0.1:9', document: documentFor(MAC) });
    const boot = tempDir('relay-boot');
    randomFile(boot, 'undionly.kpxe', 1000);
    randomFile(boot, 'snponly.efi', 1000);
    relay = startInNamespace(relayNs, [process.execPath, '--import', 'tsx', 'relay/main.ts'], {
      NODE_NO_WARNINGS: '1',
      RELAY_ID: 'relay-links',
      RELAY_HOST: '0.0.0.0',
      RELAY_PROXYDHCP: 'on',
      RELAY_WORKERS: '1',
      RELAY_BOOT_DIR: boot,
      RELAY_CACHE_DIR: cacheDir,
      RELAY_HANDLERS: 'http://127.0.0.1:9',
      S3_ENDPOINT: 'http://127.0.0.1:9',
    });
    const started = relay;
    await waitFor(
      async () => started.child.exitCode !== null || started.records().some((r) => r.event === 'config_cache_ready'),
      () => `the relay to listen and load its cache:\n${started.output().slice(-3000)}`,
      60_000,
    );
    if (started.child.exitCode !== null) throw new Error(`the relay exited:\n${started.output().slice(-3000)}`);
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    for (const ns of [relayNs, ...clientNs]) await deleteNamespace(ns);
  });

  it('stays silent on a link with no address, and answers with that address once it has one', async () => {
    // Loopback is the relay's only other address here: it must not be offered instead.
    expect(await discover(0, { tries: 3 })).toBeNull();
    await addAddress({ ns: relayNs, name: 'vr1' }, '10.71.1.1/24');
    expect(await discover(0, { tries: 20 })).toEqual({ siaddr: '10.71.1.1', serverId: '10.71.1.1', file: 'undionly.kpxe', sname: 'relay-links', vendorClass: 'PXEClient', from: '10.71.1.1' });
    expect((await discover(0, { ipxe: true, arch: 7 }))?.file).toBe(`http://10.71.1.1:8080/boot.ipxe?mac=${MAC}`);
    expect(relay!.records().filter((r) => r.event === 'dhcp_pxe_answer').every((r) => !String(r.file).includes('127.'))).toBe(true);
  });

  it('answers each of its two networks with its own address there', async () => {
    expect(await discover(1, { arch: 7 })).toMatchObject({ siaddr: '10.71.2.1', serverId: '10.71.2.1', file: 'snponly.efi', from: '10.71.2.1' });
    expect(await discover(0, { arch: 7 })).toMatchObject({ siaddr: '10.71.1.1', serverId: '10.71.1.1', file: 'snponly.efi', from: '10.71.1.1' });
  });
});
