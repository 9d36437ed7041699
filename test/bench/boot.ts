/**
 * npm run bench:boot — a boot storm: BENCH_TERMINALS (500) emulated terminals power on at once and
 * boot with a BENCH_FIRMWARE_MB (16) MiB firmware through a Tandem site (two relays with proxyDHCP,
 * naming each other, a handler, the object store), and — in the same run, with the same emulator
 * (`npx tandem emulate`) — through a reference site of the standard parts a plant would otherwise
 * assemble: tftpd-hpa for the boot loader, nginx (sendfile) for the same script, the same firmware
 * and a static configuration file per terminal. Then again with relay A killed at the start; the
 * reference has no second server to lose, so its same single-server run is the measure.
 *
 * Printed for each run: the time until every terminal had its configuration and a session, p50/p99
 * per phase, failures, and Tandem's time over the reference's (targets: ≤ 1.0× with both relays,
 * ≤ 1.5× with relay A killed; every terminal boots in every run).
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
  reports: BootReport[];
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
  let written: { summary: FleetSummary; reports: BootReport[] };
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
    console.log(`${r.label.padEnd(width)}  ${seconds(r.summary.allBootedMs).padStart(10)}  ${String(r.summary.failed).padStart(6)}  ${figures.join('')}`);
    for (const f of r.summary.failures.slice(0, 5)) console.log(`${''.padEnd(width)}  failed: ${f.count} × ${f.error}`);
  }
}

function ratio(tandem: RunResult, reference: RunResult, target: number): string {
  if (tandem.summary.allBootedMs === null || reference.summary.allBootedMs === null) return `— (not every terminal booted; target ≤ ${target.toFixed(1)}×)`;
  const r = tandem.summary.allBootedMs / reference.summary.allBootedMs;
  return `${r.toFixed(2)}× (target ≤ ${target.toFixed(1)}×: ${r <= target ? 'met' : 'MISSED'})`;
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
        if (which === 'tandem') both.push(await emulate('Tandem, both relays', tandemArgs, dir));
        else referenceRuns.push(await emulate('reference (tftpd-hpa + nginx)', referenceArgs, dir));
      }
    }
    console.log('killing relay A …');
    await site.relays.a.process.kill();
    const killed: RunResult[] = [];
    const referenceAgain: RunResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      killed.push(await emulate('Tandem, relay A killed', tandemArgs, dir));
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
