import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startObjectStore } from '../../infra/local/object-store';
import { DEBIAN_IPXE_DIR } from '../../relay/dhcp/architectures';
import { createS3Client } from '../../relay/firmware/s3-client';
import { generateToken } from '../../functions/domain/token';
import { settled, startPair, type Pair } from '../support/pair';
import { freePort } from '../support/ports';
import { seedTerminals } from '../relay/support/site';
import { startDhcpServer } from './dhcp-server';
import { markerFirmware, type MarkerFirmware } from './firmware-image';
import { startMachine, type Machine, type MachineSpec } from './machine';
import { consoleText } from './serial-console';
import type { NsProcess } from './ns-process';
import { createPlantNetwork, type PlantNetwork } from './plant-network';
import { relayStation, type RelayStation } from './relay-station';

/** How one machine's boot went. */
export interface BootOutcome {
  firmware: MachineSpec['firmware'];
  mac: string;
  /** From power-on to the firmware's line on the console. */
  seconds: number;
  /** The firmware's line: marker, MAC, the boot file (naming the relay that served the script). */
  line: string;
  /** The relay whose address the boot file names, if any. */
  relay: string | null;
  /** The whole serial console, control sequences removed. */
  console: string;
}

export interface BootOptions {
  /** Boot only the machines with this firmware (default: all). */
  only?: MachineSpec['firmware'];
  /** Runs beside each machine's boot, from power-on; the boot fails when it fails. */
  during?: (machine: Machine) => Promise<void>;
}

export interface QemuSite {
  network: PlantNetwork;
  pair: Pair;
  firmware: MarkerFirmware;
  relays: { a: RelayStation; b: RelayStation };
  machines: MachineSpec[];
  /** Serial consoles and logs of the run. */
  logDir: string;
  /** (Re)starts the site's DHCP server, with extra dnsmasq options (none: addresses only). */
  startDhcp(bootOptions?: string[]): Promise<void>;
  /** Powers the machines on at once; each must print the firmware's line within `timeoutMs`. */
  boot(step: string, timeoutMs: number, options?: BootOptions): Promise<BootOutcome[]>;
  /** Stops everything this site started, whatever state it is in; the logs are kept only when asked (a test failed). */
  stop(options?: { keepLogs?: boolean }): Promise<void>;
}

/** The object store on the plant network (this host's address there), with the marker firmware in it. */
async function startFirmwareStore(address: string, directory: string, firmware: MarkerFirmware) {
  const bucket = 'tandem-firmware';
  const store = await startObjectStore({ directory, address, port: await freePort(), buckets: [bucket] });
  const s3 = createS3Client({ endpoint: store.url, bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: firmware.objectKey, Body: firmware.body }));
  } finally {
    s3.destroy();
  }
  return { ...store, bucket };
}

const macOf = (bytes: Buffer) => `52:54:00:${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/**
 * The whole site in network namespaces: two handlers in full redundancy and the object store on
 * this host (reached over the plant network), the site's DHCP server handing out addresses only,
 * two relays with proxyDHCP on (not started: each step starts them), two terminals configured
 * through the API with the marker firmware — one SeaBIOS machine, one OVMF machine.
 */
export async function startQemuSite(): Promise<QemuSite> {
  const logDir = mkdtempSync(join(tmpdir(), 'tandem-qemu-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async ({ keepLogs = false } = {}) => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
  };
  try {
    const machines: MachineSpec[] = [
      { firmware: 'bios', mac: macOf(randomBytes(3)), ns: '', tap: 'tap-bios' },
      { firmware: 'uefi', mac: macOf(randomBytes(3)), ns: '', tap: 'tap-uefi' },
    ];
    const network = await createPlantNetwork({ taps: machines.map((m) => m.tap) });
    cleanups.push(() => network.destroy());
    for (const machine of machines) machine.ns = network.terminals.ns;

    const firmware = markerFirmware();
    const store = await startFirmwareStore(network.host, join(logDir, 's3'), firmware);
    cleanups.push(() => store.close());

    // A token per relay, registered on both handlers (tokens are per server).
    const tokens = { 'relay-a': generateToken(), 'relay-b': generateToken() };
    const pair = await startPair({
      mode: 'full',
      // On every address: the relays reach the handlers over the plant network.
      env: { HOST: '0.0.0.0' },
      prepare: async (p) => {
        for (const member of [p.a, p.b]) {
          for (const [name, token] of Object.entries(tokens)) {
            const res = await member.admin.post('/api/v1/tokens', { role: 'relay', name, token });
            if (res.status !== 201) throw new Error(`relay token ${name}: ${res.status} ${JSON.stringify(res.body)}`);
          }
        }
      },
    });
    cleanups.push(() => Promise.all([pair.a.handler.kill(), pair.b.handler.kill()]));

    await seedTerminals(
      pair.a.admin,
      machines.map((m) => m.mac),
      { name: 'marker', version: '1', objectKey: firmware.objectKey, sha256: firmware.sha256, size: firmware.size },
    );
    await settled(pair);

    const bootDir = join(logDir, 'boot');
    mkdirSync(bootDir);
    for (const loader of ['undionly.kpxe', 'snponly.efi']) copyFileSync(join(DEBIAN_IPXE_DIR, loader), join(bootDir, loader));
    const handlerUrls = [pair.a, pair.b].map((m) => `http://${network.host}:${m.handler.port}`).join(',');
    const relay = (id: 'relay-a' | 'relay-b', station: PlantNetwork['relayA'], peer: PlantNetwork['relayA']) =>
      relayStation(id, station, {
        RELAY_HANDLERS: handlerUrls,
        RELAY_TOKEN: tokens[id],
        RELAY_PEERS: `http://${peer.address}:8080`,
        RELAY_PROXYDHCP: 'on',
        RELAY_WORKERS: '1',
        RELAY_PROBE_INTERVAL_MS: '500',
        RELAY_BOOT_DIR: bootDir,
        RELAY_CACHE_DIR: join(logDir, id),
        S3_ENDPOINT: store.url,
        S3_BUCKET: store.bucket,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      });
    const relays = { a: relay('relay-a', network.relayA, network.relayB), b: relay('relay-b', network.relayB, network.relayA) };
    cleanups.push(() => Promise.all([relays.a.stop(), relays.b.stop()]));
    cleanups.push(async () => {
      for (const r of Object.values(relays)) writeFileSync(join(logDir, `${r.id}.log`), r.output());
    });

    let dhcp: NsProcess | null = null;
    cleanups.push(async () => dhcp?.kill());
    // What each running relay told the machines over proxyDHCP, the newest last: for a failure's message.
    const proxyAnswers = () =>
      Object.values(relays)
        .filter((r) => r.process)
        .map((r) => {
          const answers = r.process!.records().filter((rec) => rec.event === 'dhcp_pxe_answer' && machines.some((m) => m.mac === rec.mac));
          return `${r.id} proxyDHCP answers:\n${answers.slice(-6).map((a) => `  ${a.mac} ${a.role} ${a.file} → ${a.to}`).join('\n') || '  none'}`;
        })
        .join('\n');
    const relayAt = (line: string) => Object.values(relays).find((r) => line.includes(`${r.station.address}:`))?.id ?? null;

    return {
      network,
      pair,
      firmware,
      relays,
      machines,
      logDir,
      async startDhcp(bootOptions = []) {
        await dhcp?.kill();
        dhcp = await startDhcpServer(network.dhcpServer, network.subnet, logDir, bootOptions);
      },
      async boot(step, timeoutMs, { only, during = async () => {} } = {}) {
        const started = Date.now();
        const running = machines.filter((spec) => !only || spec.firmware === only).map((spec) => startMachine(spec, logDir));
        const outcomes = await Promise.allSettled(
          running.map(async (machine): Promise<BootOutcome> => {
            try {
              const [line] = await Promise.all([machine.waitForLine(new RegExp(firmware.marker), timeoutMs), during(machine)]);
              const seconds = (Date.now() - started) / 1000;
              const text = consoleText(machine.process.output());
              // The first of the firmware's lines that names a relay (a line may have lost a character).
              const relay = text.split('\n').filter((l) => l.includes(firmware.marker)).map(relayAt).find(Boolean) ?? null;
              return { firmware: machine.spec.firmware, mac: machine.spec.mac, seconds, line: line.trim(), relay, console: text };
            } finally {
              await machine.kill();
              machine.saveConsole(join(logDir, `${step.replace(/\W+/g, '-')}-${machine.spec.firmware}.log`));
            }
          }),
        );
        const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message)] : []));
        if (failures.length) throw new Error(`${step}:\n${failures.join('\n\n')}\n\n${proxyAnswers()}\n(consoles and relay logs in ${logDir})`);
        return outcomes.map((o) => (o as PromiseFulfilledResult<BootOutcome>).value);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
