/**
 * `npm start`: the whole local system on loopback — object store, a primary and a
 * secondary handler synchronising with each other, two relays — with a demo
 * licence and demo data, until Ctrl-C.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateToken } from '../../functions/domain/token';
import { installDemoLicense } from '../demo/install-demo-license';
import { installDebianLoaders } from '../../relay/files/boot-tree';
import { startStandInTerminalServer, type StandInTerminalServer } from '../emulator/stand-in-terminal-server';
import { demoTerminalServers, seedDemoData } from './demo-data';
import { localObjectStore } from './object-store';
import { startNodeScript, waitFor, type Started } from './processes';

const dataDir = process.env.TANDEM_DATA_DIR ?? './data';
const children: { name: string; proc: Started }[] = [];
const terminalServers: StandInTerminalServer[] = [];
let stopping = false;

const handlers = {
  primary: { url: 'http://127.0.0.1:8787', port: 8787, role: 'primary' },
  secondary: { url: 'http://127.0.0.1:8788', port: 8788, role: 'secondary' },
} as const;
const relays = [
  { id: 'relay-a', tftpPort: 6969, httpPort: 8080 },
  { id: 'relay-b', tftpPort: 6970, httpPort: 8081 },
];

function log(msg: string, fields: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'start', msg, ...fields }));
}

/** Starts a part of the system, prefixing its log lines with its name. */
function launch(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Started {
  const proc = startNodeScript(script, env, [], nodeArgs);
  const prefix = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
  };
  proc.child.stdout!.on('data', prefix);
  proc.child.stderr!.on('data', prefix);
  void proc.exited.then((code) => {
    if (!stopping) log(`${name} exited`, { code });
  });
  children.push({ name, proc });
  return proc;
}

const healthy = (url: string) => waitFor(async () => (await fetch(url)).ok, () => `${url} to answer`, 60_000);

/**
 * The local system's tokens, made once and kept (0600) under the data folder: one
 * admin token for both servers, the peer token each server accepts from the
 * other, and a token per relay (a handler knows a relay by its token's name). Only their hashes
 * go into the databases.
 */
function localSecrets(): { admin: string; peer: string; relays: Record<string, string> } {
  const file = join(dataDir, 'local-secrets.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<ReturnType<typeof localSecrets>>) : {};
  const secrets = { admin: saved.admin ?? (process.env.TANDEM_ADMIN_TOKEN || generateToken()), peer: saved.peer ?? generateToken(), relays: { ...saved.relays } };
  for (const r of relays) secrets.relays[r.id] ??= generateToken();
  if (JSON.stringify(secrets) !== JSON.stringify(saved)) writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

function client(url: string, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
}

/** Registers a token on a server unless a token of that name is there already. */
async function ensureToken(api: ReturnType<typeof client>, role: string, name: string, token: string) {
  const res = await api('POST', '/api/v1/tokens', { role, name, token });
  if (res.status !== 201 && !(res.status === 409 && res.body?.code === 'duplicate'))
    throw new Error(`registering the ${name} token answered ${res.status}: ${res.body?.detail}`);
}

async function main() {
  // Tokens and databases live here: for this user alone.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const s3 = { ...localObjectStore };
  const secrets = localSecrets();

  launch('object-store', 'infra/local/object-store.ts', { S3_PORT: '4569', S3_DIRECTORY: join(dataDir, 's3') }, ['--openssl-legacy-provider']);
  await waitFor(async () => (await fetch(`${s3.endpoint}/${s3.bucket}`)).status < 500, () => 'the object store to answer', 60_000);

  for (const [id, h] of Object.entries(handlers)) {
    const peer = id === 'primary' ? handlers.secondary : handlers.primary;
    launch(id, 'functions/node.ts', {
      HOST: '127.0.0.1',
      PORT: String(h.port),
      TANDEM_SERVER_ID: id,
      TANDEM_ROLE: h.role,
      TANDEM_DATA_DIR: dataDir,
      TANDEM_ADMIN_TOKEN: secrets.admin,
      TANDEM_PEER_URL: peer.url,
      TANDEM_PEER_TOKEN: secrets.peer,
      // A demo system: the handlers trust the demo licence key (infra/demo/), and say so.
      TANDEM_DEMO: '1',
    });
  }
  await Promise.all(Object.values(handlers).map((h) => healthy(`${h.url}/healthz`)));

  const primary = client(handlers.primary.url, secrets.admin);
  const secondary = client(handlers.secondary.url, secrets.admin);
  // Tokens are per server: register the shared ones on both before anything else.
  for (const api of [primary, secondary]) {
    await ensureToken(api, 'peer', 'local-peer', secrets.peer);
    for (const r of relays) await ensureToken(api, 'relay', r.id, secrets.relays[r.id]);
  }

  const demo = await seedDemoData(primary, s3);
  if (demo.seeded) log('demo data created', { terminals: demo.macs });
  // A full-redundancy demo licence bound to both servers' installation ids, signed
  // with the demo key (infra/demo/); synchronisation carries it to the secondary.
  const licence = await installDemoLicense([
    { url: handlers.primary.url, adminToken: secrets.admin },
    { url: handlers.secondary.url, adminToken: secrets.admin },
  ]);
  log(licence.installed ? 'demo licence installed' : 'demo licence already installed', { licenseId: licence.license.licenseId, expiresAt: licence.license.expiresAt });
  // "Synchronise now" on both, so that the pair agrees before the relays ask.
  for (const api of [secondary, primary]) await api('POST', '/api/v1/sync/run');

  const bootDir = join(dataDir, 'boot');
  mkdirSync(bootDir, { recursive: true });
  const readme = join(bootDir, 'README.txt');
  if (!existsSync(readme)) writeFileSync(readme, 'Boot loaders (undionly.kpxe, ipxe.efi, …) placed here are served by the relays as they are.\n');
  // Debian's iPXE builds (package ipxe): what proxyDHCP offers, and what the emulated demo terminal fetches over TFTP.
  installDebianLoaders(bootDir);
  // The demo's terminal servers: TCP listeners standing in for RDP, where emulated terminals hold their sessions.
  for (const ts of demoTerminalServers) {
    try {
      terminalServers.push(await startStandInTerminalServer(ts.name, ts.port, ts.host));
    } catch (err) {
      log('demo terminal server not started', { name: ts.name, port: ts.port, error: String((err as Error).message) });
    }
  }
  for (const r of relays) {
    launch(r.id, 'relay/main.ts', {
      RELAY_ID: r.id,
      RELAY_HANDLERS: `${handlers.primary.url},${handlers.secondary.url}`,
      RELAY_PEERS: relays.filter((peer) => peer !== r).map((peer) => `http://127.0.0.1:${peer.httpPort}`).join(','),
      RELAY_TOKEN: secrets.relays[r.id],
      RELAY_HOST: '127.0.0.1',
      RELAY_TFTP_PORT: String(r.tftpPort),
      RELAY_HTTP_PORT: String(r.httpPort),
      RELAY_BOOT_DIR: bootDir,
      RELAY_CACHE_DIR: join(dataDir, r.id),
      RELAY_WORKERS: '1',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
  }
  await Promise.all(relays.map((r) => healthy(`http://127.0.0.1:${r.httpPort}/healthz`)));

  const exampleMac = demo.macs[0] ?? '02:00:00:00:00:01';
  console.log(`
Tandem is running on this machine.
  dashboard            ${handlers.primary.url}/dashboard   (sign in with the admin token below)
  handler, primary     ${handlers.primary.url}   (API: ${handlers.primary.url}/api/v1/openapi.json)
  handler, secondary   ${handlers.secondary.url}   full redundancy: configure on either
  relay A              http://127.0.0.1:${relays[0].httpPort}   tftp://127.0.0.1:${relays[0].tftpPort}
  relay B              http://127.0.0.1:${relays[1].httpPort}   tftp://127.0.0.1:${relays[1].tftpPort}
  object store (S3)    ${s3.endpoint}   bucket ${s3.bucket}
  admin token          ${secrets.admin}
                       (all local tokens are in ${join(dataDir, 'local-secrets.json')}, mode 0600)
  licence              ${licence.license.licenseId}: demo key, not for production

Try:
  curl http://127.0.0.1:${relays[0].httpPort}/config/${exampleMac}          (a terminal asking relay A)
  curl -o /tmp/firmware.img tftp://127.0.0.1:${relays[0].tftpPort}/firmware/tandem-os/1.0.0.img   (its verified firmware)
  TANDEM_TOKEN=${secrets.admin} npx tandem terminals

Boot an emulated demo terminal through both relays (type reboot, status or quit while it runs):
  ${emulateCommand(exampleMac)}
Ctrl-C stops everything.
`);
}

/** The one command that boots an emulated demo terminal against this system. */
function emulateCommand(mac: string): string {
  const urls = relays.map((r) => `http://127.0.0.1:${r.httpPort}`).join(',');
  return `npx tandem emulate --relays ${urls} --tftp-port ${relays.map((r) => r.tftpPort).join(',')} --mac ${mac}`;
}

function stopAll(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  log('stopping', { signal });
  for (const { proc } of children) proc.signal('SIGTERM');
  for (const ts of terminalServers) void ts.stop();
  Promise.all(children.map((c) => c.proc.exited)).then(() => process.exit(process.exitCode ?? 0));
  setTimeout(() => {
    for (const { proc } of children) proc.signal('SIGKILL');
    process.exit(process.exitCode ?? 0);
  }, 10_000).unref();
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', component: 'start', msg: String(err?.message ?? err) }));
  process.exitCode = 1;
  stopAll('SIGTERM');
});
