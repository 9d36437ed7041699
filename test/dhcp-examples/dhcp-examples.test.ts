import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOOT_FILES } from '../../relay/dhcp/architectures';
import { DHCP_SERVERS, type DhcpServerKind, dhcpConfig, EXAMPLE_RELAYS } from '../../infra/dhcp/dhcp-config';
import { repoRoot, waitFor } from '../../infra/local/processes';
import { startInNamespace, type NsProcess } from '../qemu/ns-process';
import { addAddress, createNamespace, createVethPair, deleteLeftoverNamespaces, deleteNamespace, namespacePrefix, setLink } from '../support/netns';
import { tempDir } from '../relay/support/files';

const run = promisify(execFile);
const example = (server: DhcpServerKind) => join(repoRoot, 'infra/dhcp', DHCP_SERVERS[server].example);
const site = { relay: EXAMPLE_RELAYS[0], otherRelay: EXAMPLE_RELAYS[1], httpPort: 8080, bootFiles: DEFAULT_BOOT_FILES };

/** `npx tandem dhcp-config …`, as an operator runs it. */
const command = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'infra/cli/main.ts', 'dhcp-config', ...args], { cwd: repoRoot, timeout: 60_000 });

/** Runs a server's own configuration check; resolves with its output, rejects with it when the check fails. */
async function validate(server: Exclude<DhcpServerKind, 'windows'>, file: string): Promise<string> {
  const argv = { isc: ['dhcpd', '-t', '-cf', file], kea: ['kea-dhcp4', '-t', file], dnsmasq: ['dnsmasq', '--test', `--conf-file=${file}`] }[server];
  try {
    const { stdout, stderr } = await run(argv[0], argv.slice(1), { timeout: 30_000, env: { ...process.env, KEA_PIDFILE_DIR: tempDir('kea'), KEA_LOCKFILE_DIR: tempDir('kea') } });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`${argv.join(' ')} refused it:\n${e.stdout ?? ''}${e.stderr ?? ''}\n--- the file ---\n${readFileSync(file, 'utf8')}`);
  }
}

describe('DHCP server examples (infra/dhcp)', { timeout: 120_000 }, () => {
  it.each(Object.keys(DHCP_SERVERS) as DhcpServerKind[])('%s: the committed example is what the command prints for the example relays', (server) => {
    const regenerate = `npx tandem dhcp-config --server ${server} --relays ${EXAMPLE_RELAYS.join(',')} > infra/dhcp/${DHCP_SERVERS[server].example}`;
    expect(readFileSync(example(server), 'utf8'), `out of date: ${regenerate}`).toBe(dhcpConfig(server, site));
  });

  it.each(['isc', 'kea', 'dnsmasq'] as const)('%s: the committed example passes the server’s own check', async (server) => {
    await validate(server, example(server));
  });

  it.each(['isc', 'kea', 'dnsmasq'] as const)('%s: what the command prints for another site passes the server’s own check', async (server) => {
    const { stdout } = await command(['--server', server, '--relays', '192.168.7.12,192.168.7.11', '--http-port', '8081', '--boot-files', '11=arm64/snponly.efi,19=arm64/snponly.efi,27=riscv64/ipxe.efi,0=']);
    expect(stdout).toContain('http://192.168.7.12:8081/boot.ipxe?mac=${net0/mac}');
    expect(stdout).toContain('arm64/snponly.efi');
    expect(stdout).toContain('riscv64/ipxe.efi');
    expect(stdout).not.toContain('undionly.kpxe');
    const file = join(tempDir('dhcp-config'), DHCP_SERVERS[server].example);
    writeFileSync(file, stdout);
    await validate(server, file);
  });

  it('writes Windows policies by vendor class, iPXE first, with iPXE’s ${net0/mac} kept from PowerShell', () => {
    const script = readFileSync(example('windows'), 'utf8');
    expect(script).toContain("Set-TandemPolicy 'Tandem iPXE' 1 @{ UserClass = 'EQ', 'Tandem iPXE' } @{ 67 = 'http://10.20.0.5:8080/boot.ipxe?mac=${net0/mac}' }");
    expect(script).toContain("Add-TandemClass 'Tandem arch 7' Vendor 'PXEClient:Arch:00007'");
    expect(script).toContain("Add-TandemClass 'Tandem arch 16' Vendor 'HTTPClient:Arch:00016'");
    expect(script).toContain("@{ 60 = 'HTTPClient'; 67 = 'http://10.20.0.5:8080/snponly.efi' }");
    const orders = [...script.matchAll(/^Set-TandemPolicy '[^']+' (\d+) /gm)].map((m) => Number(m[1]));
    expect(orders).toEqual([1, 2, 3, 4]);
    // Nothing PowerShell would expand inside double quotes.
    expect(script).not.toMatch(/"[^"\n]*\$\{/);
  });

  it('refuses what it cannot write, and says why', async () => {
    for (const [args, why] of [
      [['--server', 'bind', '--relays', '10.0.0.5,10.0.0.6'], '--server must be isc, kea, dnsmasq, windows'],
      [['--server', 'isc', '--relays', '10.0.0.5'], '--relays takes the two relays'],
      [['--server', 'isc', '--relays', '10.0.0.5,10.0.0.5'], '--relays takes the two relays'],
      [['--server', 'isc', '--relays', '10.0.0.5,10.0.0.6', '--boot-files', '11=../x.efi'], '--boot-files'],
    ] as const) {
      const failed = await command([...args]).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code, args.join(' ')).toBe(2);
      expect(failed?.stderr).toContain(why);
    }
  });
});

interface ProbeAnswer {
  siaddr: string;
  file: string;
  vendorClass: string | null;
}

/**
 * Each example in a real server, in namespaces this test makes: the server on one end of a veth
 * pair, a PXE client broadcasting from the other as firmware does.
 */
describe('the examples in a running DHCP server answer PXE clients as the relay would', { timeout: 240_000 }, () => {
  const prefix = namespacePrefix('tdd');
  const serverNs = `${prefix}-server`;
  const clientNs = `${prefix}-client`;
  const dir = tempDir('dhcp-servers');
  let server: NsProcess | undefined;

  beforeAll(async () => {
    await deleteLeftoverNamespaces('tdd');
    await createNamespace(serverNs);
    await createNamespace(clientNs);
    await createVethPair({ ns: serverNs, name: 'sd' }, { ns: clientNs, name: 'cd' });
    await setLink({ ns: serverNs, name: 'sd' }, 'up');
    await setLink({ ns: clientNs, name: 'cd' }, 'up');
    await addAddress({ ns: serverNs, name: 'sd' }, '10.73.0.1/24');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await deleteNamespace(serverNs);
    await deleteNamespace(clientNs);
  });

  async function discover(arch: number, ipxe = false): Promise<ProbeAnswer | null> {
    const argv = ['netns', 'exec', clientNs, process.execPath, '--import', 'tsx', 'test/relay/support/dhcp-probe.ts', 'cd', 'aa:bb:cc:00:66:01', String(arch), ipxe ? 'ipxe' : 'pxe', '12'];
    const { stdout } = await run('ip', argv, { cwd: repoRoot, timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    return (JSON.parse(stdout.trim().split('\n').pop()!) as { answer: ProbeAnswer | null }).answer;
  }

  /** Starts the server with the example, on sd, handing out 10.73.0.100–200; resolves when it listens. */
  async function startServer(kind: Exclude<DhcpServerKind, 'windows'>): Promise<void> {
    const conf = join(dir, `${kind}.conf`);
    const exampleText = readFileSync(example(kind), 'utf8');
    let argv: string[];
    let listening: RegExp;
    if (kind === 'isc') {
      writeFileSync(conf, `${exampleText}\nauthoritative;\nsubnet 10.73.0.0 netmask 255.255.255.0 {\n  range 10.73.0.100 10.73.0.200;\n}\n`);
      writeFileSync(join(dir, 'dhcpd.leases'), '');
      argv = ['dhcpd', '-f', '-d', '-cf', conf, '-lf', join(dir, 'dhcpd.leases'), '-pf', join(dir, 'dhcpd.pid'), 'sd'];
      listening = /Sending on\s+LPF\/sd/;
    } else if (kind === 'kea') {
      const json = JSON.parse(exampleText.split('\n').filter((l) => !l.startsWith('//')).join('\n'));
      json.Dhcp4['interfaces-config'] = { interfaces: ['sd'] };
      json.Dhcp4['lease-database'] = { type: 'memfile', persist: false };
      json.Dhcp4.subnet4 = [{ id: 1, subnet: '10.73.0.0/24', pools: [{ pool: '10.73.0.100 - 10.73.0.200' }] }];
      writeFileSync(conf, JSON.stringify(json));
      argv = ['env', `KEA_PIDFILE_DIR=${dir}`, `KEA_LOCKFILE_DIR=${dir}`, 'kea-dhcp4', '-c', conf];
      listening = /DHCP4_STARTED/;
    } else {
      argv = ['dnsmasq', '--keep-in-foreground', '--log-facility=-', '--log-dhcp', `--conf-file=${example(kind)}`, '--port=0', '--no-ping', '--interface=sd', '--bind-interfaces'];
      argv.push('--dhcp-range=10.73.0.100,10.73.0.200,1h', `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`);
      listening = /DHCP, IP range/;
    }
    const started = startInNamespace(serverNs, argv);
    server = started;
    await waitFor(async () => listening.test(started.output()) || started.child.exitCode !== null, () => `${kind} to start:\n${started.output()}`, 30_000);
    if (started.child.exitCode !== null) throw new Error(`${kind} exited:\n${started.output()}`);
  }

  it.each(['isc', 'kea', 'dnsmasq'] as const)('%s', async (kind) => {
    await startServer(kind);
    try {
      expect(await discover(0)).toMatchObject({ siaddr: '10.20.0.5', file: 'undionly.kpxe' });
      expect(await discover(7)).toMatchObject({ siaddr: '10.20.0.5', file: 'snponly.efi' });
      expect(await discover(16)).toMatchObject({ file: 'http://10.20.0.5:8080/snponly.efi', vendorClass: 'HTTPClient' });
      expect(await discover(7, true)).toMatchObject({ file: 'http://10.20.0.5:8080/boot.ipxe?mac=${net0/mac}' });
      // An address, but no loader built for another architecture.
      expect((await discover(27))?.file).toBe('');
    } finally {
      await server?.stop();
      server = undefined;
    }
  });
});
