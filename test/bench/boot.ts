/**
 * npm run bench:boot — a boot storm: BENCH_TERMINALS (500) emulated terminals power on at once and
 * boot with a BENCH_FIRMWARE_MB (16) MiB firmware through a Tandem site (two relays with proxyDHCP,
 * naming each other, a handler, the object store), and — in the same run, with the same emulator
 * (`npx tandem emulate`) — through a reference site of the standard parts a plant would otherwise
 * assemble: tftpd-hpa for the boot loader, nginx (sendfile) for the same script, the same firmware
 * and a static configuration file per terminal. Then again with relay A killed at the start; the
 * reference has no second server to lose, so its same single-server run is the measure.
 *
 * Printed for each run: the time until every terminal had its configuration and a session (in
 * brackets, when some never did: the time of the last one that did), p50/p99 per phase, failures,
 * what the relays counted (requests, transfers, proxyDHCP answers, datagrams the kernel dropped on
 * their ports) and Tandem's time over the reference's (targets: ≤ 1.0× with both relays, ≤ 1.5×
 * with relay A killed; every terminal boots in every run).
 *
 * Knobs: BENCH_TERMINALS, BENCH_FIRMWARE_MB, BENCH_ROUNDS (1: runs per figure, the median kept),
 * BENCH_RELAY_WORKERS (2 a relay), BENCH_TIMEOUT_MS (the emulator's wait for a relay, 10000),
 * BENCH_CONCURRENCY (every terminal at once), BENCH_PROFILE=1 (the relays' processes write CPU
 * profiles, kept with the reports in a folder the bench names).
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootReport, FleetSummary, Phase } from '../../infra/emulator/boot-report';
import { startEmulate } from '../emulator-tool/support/emulate-process';
import { type EmulatorSite, startEmulatorSite } from '../emulator-tool/support/emulator-site';
import { tempDir } from '../relay/support/files';
import { startNginx, startTftpdHpa } from './reference-servers';

const TERMINALS = Number(process.env.BENCH_TERMINALS ?? 500);
const FIRMWARE_MB = Number(process.env.BENCH_FIRMWARE_MB ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const WORKERS = process.env.BENCH_RELAY_WORKERS ?? '2';
const TIMEOUT_MS = process.env.BENCH_TIMEOUT_MS ?? '10000';
const CONCURRENCY = process.env.BENCH_CONCURRENCY ?? String(TERMINALS);

interface RunResult {
  label: string;
  summary: FleetSummary;
  dhcp: { sent: number; answered: number; late: number; second: number } | null;
  reports: BootReport[];
  /** What the relays counted during the run (Tandem runs): a counter and its labels → the increase. */
  relayCounters?: Map<string, number>;
}

/** The relays' counters that say where a boot storm's time and failures went. */
const WATCHED = /^relay_(dhcp_replies_total|dhcp_ignored_total|tftp_transfers_total|tftp_requests_dropped_total|tftp_requests_refused_total|tftp_retransmits_total|http_requests_total|config_requests_total)/;

async function relayCounters(urls: string[]): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const url of urls) {
    let text = '';
    try {
      text = await (await fetch(`${url}/metrics`)).text();
    } catch {
      continue; // a killed relay counts nothing
    }
    for (const line of text.split('\n')) {
      if (!WATCHED.test(line)) continue;
      const at = line.lastIndexOf(' ');
      sums.set(line.slice(0, at), (sums.get(line.slice(0, at)) ?? 0) + Number(line.slice(at + 1)));
    }
  }
  return sums;
}

/** Datagrams the kernel dropped on each local UDP port (a full receive buffer), from /proc/net/udp. */
function udpDrops(ports: Map<number, string>): Map<string, number> {
  const drops = new Map<string, number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const name = ports.get(parseInt(fields[1]?.split(':')[1] ?? '', 16));
    if (name) drops.set(name, (drops.get(name) ?? 0) + Number(fields[12]));
  }
  return drops;
}

/** Runs a Tandem boot storm and notes what the relays counted meanwhile. */
async function tandemRun(label: string, args: string[], dir: string, relays: string[], ports: Map<number, string>): Promise<RunResult> {
  const before = new Map([...(await relayCounters(relays)), ...udpDrops(ports)]);
  const result = await emulate(label, args, dir);
  const after = new Map([...(await relayCounters(relays)), ...udpDrops(ports)]);
  result.relayCounters = new Map([...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)] as [string, number]).filter(([, delta]) => delta > 0));
  return result;
}

/** The reference site: tftpd-hpa and nginx serving one folder. */
interface Reference {
  url: string;
  tftpPort: number;
  stop(): void;
}

async function startReference(dir: string): Promise<Reference> {
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  process.once('exit', stop);
  try {
    const nginx = await startNginx(dir);
    children.push(nginx.child);
    const tftpd = await startTftpdHpa(dir);
    children.push(tftpd.child);
    return { url: `http://127.0.0.1:${nginx.port}`, tftpPort: tftpd.port, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * The reference's files: the boot loader, the firmware, one static script for every terminal
 * (iPXE fills in ${mac}) and each terminal's configuration as the relay serves it.
 */
async function referenceFiles(site: EmulatorSite, dir: string, url: string): Promise<void> {
  copyFileSync(join(site.bootDir, 'snponly.efi'), join(dir, 'snponly.efi'));
  writeFileSync(join(dir, 'firmware.img'), site.firmware);
  writeFileSync(
    join(dir, 'boot.ipxe'),
    [
      '#!ipxe',
      `set tandem-config ${url}/config/\${mac}`,
      `chain --autofree ${url}/firmware.img tandem.config=\${tandem-config} tandem.mac=\${mac} || goto failed`,
      ':failed',
      'echo booting the firmware failed; retrying in 10 seconds',
      'sleep 10',
      'reboot',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'config'), { mode: 0o755 });
  for (let i = 0; i < site.macs.length; i += 50) {
    await Promise.all(
      site.macs.slice(i, i + 50).map(async (mac) => {
        const res = await fetch(`${site.endpoints.a.url}/config/${mac}`);
        if (res.status !== 200) throw new Error(`the configuration of ${mac}: HTTP ${res.status}`);
        writeFileSync(join(dir, 'config', mac), Buffer.from(await res.arrayBuffer()));
      }),
    );
  }
  chmodSync(dir, 0o755);
}

async function emulate(label: string, args: string[], dir: string): Promise<RunResult> {
  const json = join(dir, `${label.replace(/\W+/g, '-')}.json`);
  const run = startEmulate([...args, '--mac', '02:00:00:aa:00:01', '--count', String(TERMINALS), '--concurrency', CONCURRENCY, '--timeout-ms', TIMEOUT_MS, '--exit', '--json', json]);
  const code = await run.exited;
  let written: { summary: FleetSummary; dhcp: RunResult['dhcp']; reports: BootReport[] };
  try {
    written = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    throw new Error(`${label}: the emulator ended with ${code} and wrote no report:\n${run.lines.slice(-20).join('\n')}\n${run.stderr.slice(-2000)}`);
  }
  return { label, ...written };
}

/** The run whose all-booted time is the median (a run with failures counts as the slowest). */
function median(results: RunResult[]): RunResult {
  const time = (r: RunResult) => r.summary.allBootedMs ?? Number.POSITIVE_INFINITY;
  return [...results].sort((a, b) => time(a) - time(b))[Math.floor((results.length - 1) / 2)];
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
const msText = (ms: number | null) => (ms === null ? '—' : ms < 10 ? ms.toFixed(1) : String(Math.round(ms)));

function table(results: RunResult[]): void {
  const phases: Array<Phase | 'total'> = ['dhcp', 'loader', 'script', 'firmware', 'config', 'session', 'total'];
  const width = Math.max(...results.map((r) => r.label.length), 10);
  console.log(`${'run'.padEnd(width)}  ${'all booted'.padStart(10)}  ${'failed'.padStart(6)}  ${phases.map((p) => `${p} p50/p99 ms`.padStart(20)).join('')}`);
  for (const r of results) {
    const figures = phases.map((phase) => {
      const f = r.summary.phases.find((x) => x.phase === phase)!;
      return `${msText(f.p50)}/${msText(f.p99)}`.padStart(20);
    });
    const allBooted = r.summary.allBootedMs === null ? `(${seconds(lastBootMs(r))})` : seconds(r.summary.allBootedMs);
    console.log(`${r.label.padEnd(width)}  ${allBooted.padStart(10)}  ${String(r.summary.failed).padStart(6)}  ${figures.join('')}`);
    for (const f of r.summary.failures.slice(0, 5)) console.log(`${''.padEnd(width)}  failed: ${f.count} × ${f.error}`);
    if (r.dhcp) console.log(`${''.padEnd(width)}  emulator's DHCP: ${r.dhcp.sent} requests sent (repeats included), ${r.dhcp.answered} answered, ${r.dhcp.late} answers after the terminal gave up, ${r.dhcp.second} others (a second relay's, to a repeat)`);
    if (r.relayCounters?.size) console.log(`${''.padEnd(width)}  relays counted: ${[...r.relayCounters].map(([k, v]) => `${k.replace(/^relay_/, '')} ${v}`).join(', ')}`);
  }
}

/** When the last terminal that booted had booted (all start at once: its boot time). */
const lastBootMs = (run: RunResult) => run.summary.phases.find((f) => f.phase === 'total')?.max ?? null;

function ratio(tandem: RunResult, reference: RunResult, target: number): string {
  if (tandem.summary.allBootedMs === null) return `— (Tandem did not boot ${tandem.summary.failed} terminal(s); target ≤ ${target.toFixed(1)}×)`;
  // A reference that lost terminals is measured to its last boot: a time it did not even achieve for all.
  const referenceMs = reference.summary.allBootedMs ?? lastBootMs(reference);
  if (referenceMs === null) return `— (the reference booted no terminal)`;
  const r = tandem.summary.allBootedMs / referenceMs;
  const caveat = reference.summary.allBootedMs === null ? `; against the reference's last boot, which never booted ${reference.summary.failed} terminal(s)` : '';
  return `${r.toFixed(2)}× (target ≤ ${target.toFixed(1)}×: ${r <= target ? 'met' : 'MISSED'}${caveat})`;
}

async function main() {
  const dir = tempDir('bench-boot');
  // Kept after the run: the relays write their profiles there as they stop.
  const profileDir = process.env.BENCH_PROFILE ? mkdtempSync(join(tmpdir(), 'bench-boot-profile-')) : dir;
  console.log(`boot storm: ${TERMINALS} terminals at once (concurrency ${CONCURRENCY}), ${FIRMWARE_MB} MiB firmware, relays of ${WORKERS} worker(s); median of ${ROUNDS} round(s)`);
  console.log('setting up the Tandem site (handler, object store, two relays with proxyDHCP) …');
  const site = await startEmulatorSite({
    terminals: TERMINALS,
    firmwareBytes: FIRMWARE_MB * 1024 * 1024,
    relayEnv: {
      RELAY_WORKERS: WORKERS,
      RELAY_LOG_LEVEL: 'warn',
      RELAY_TFTP_MAX_TRANSFERS: String(Math.max(1000, 4 * TERMINALS)),
      ...(process.env.BENCH_PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
    },
  });
  let reference: Reference | null = null;
  try {
    // Every relay holds every terminal's configuration and verified firmware before the storm, as on a running plant.
    for (const relay of [site.endpoints.a, site.endpoints.b]) {
      const res = await fetch(`${relay.url}/boot.ipxe?mac=${site.macs[0]}`);
      if (!(await res.text()).includes('chain --autofree')) throw new Error(`${relay.url} has not verified the firmware`);
    }
    // nginx's workers and tftpd-hpa run as unprivileged users: a tree they can read.
    chmodSync(dir, 0o755);
    const refDir = join(dir, 'reference');
    mkdirSync(refDir, { mode: 0o755 });
    reference = await startReference(refDir);
    await referenceFiles(site, refDir, reference.url);

    const tandemArgs = site.emulateArgs('proxy-dhcp');
    const relayUrls = [site.endpoints.a.url, site.endpoints.b.url];
    const udpPorts = new Map<number, string>([
      [site.endpoints.a.dhcpPort, 'udp drops: relay A dhcp'],
      [site.endpoints.b.dhcpPort, 'udp drops: relay B dhcp'],
      [site.endpoints.a.tftpPort, 'udp drops: relay A tftp'],
      [site.endpoints.b.tftpPort, 'udp drops: relay B tftp'],
    ]);
    const referenceArgs = ['--relays', reference.url, '--tftp-port', String(reference.tftpPort)];
    console.log('warming up (a few terminals through each site) …');
    await startEmulate([...tandemArgs, '--mac', '02:00:00:aa:00:01', '--count', '8', '--exit']).exited;
    await startEmulate([...referenceArgs, '--mac', '02:00:00:aa:00:01', '--count', '8', '--exit']).exited;

    const both: RunResult[] = [];
    const referenceRuns: RunResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first: the machine's load drifts.
      const order = round % 2 === 0 ? ['reference', 'tandem'] : ['tandem', 'reference'];
      for (const which of order) {
        if (which === 'tandem') both.push(await tandemRun('Tandem, both relays', tandemArgs, dir, relayUrls, udpPorts));
        else referenceRuns.push(await emulate('reference (tftpd-hpa + nginx)', referenceArgs, dir));
      }
    }
    console.log('killing relay A …');
    await site.relays.a.process.kill();
    const killed: RunResult[] = [];
    const referenceAgain: RunResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      killed.push(await tandemRun('Tandem, relay A killed', tandemArgs, dir, relayUrls, udpPorts));
      referenceAgain.push(await emulate('reference, same single server', referenceArgs, dir));
    }
    const [t, r, k, r2] = [median(both), median(referenceRuns), median(killed), median(referenceAgain)];
    console.log('');
    table([r, t, r2, k]);
    console.log('');
    console.log(`Tandem / reference, both relays up:  ${ratio(t, r, 1.0)}`);
    console.log(`Tandem / reference, relay A killed:  ${ratio(k, r2, 1.5)}`);
    const served = (run: RunResult) => {
      const counts = new Map<string, number>();
      for (const report of run.reports) {
        const relay = report.servedBy.firmware?.replace(/\/firmware\/.*/, '') ?? 'none';
        counts.set(relay, (counts.get(relay) ?? 0) + 1);
      }
      return [...counts].map(([relay, n]) => `${relay} ${n}`).join(', ');
    };
    console.log(`firmware served by (both relays up): ${served(t)}; relay A is ${site.endpoints.a.url}`);
    if (process.env.BENCH_PROFILE) {
      writeFileSync(join(profileDir, 'results.json'), JSON.stringify({ both, referenceRuns, killed, referenceAgain }, null, 2));
      console.log(`reports and the relays' CPU profiles (written as they stop): ${profileDir}`);
    }
    if (![t, r, k, r2].every((run) => run.summary.failed === 0)) process.exitCode = 1;
  } finally {
    reference?.stop();
    await site.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
