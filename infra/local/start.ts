/**
 * `npm start`: the whole local system on loopback — object store, handlers,
 * relays — with demo data, until Ctrl-C.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDemoLicense } from '../demo/install-demo-license';
import { seedDemoData } from './demo-data';
import { localObjectStore } from './object-store';
import { startNodeScript, waitFor, type Started } from './processes';

const dataDir = process.env.TANDEM_DATA_DIR ?? './data';
const children: { name: string; proc: Started }[] = [];
let stopping = false;

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

async function main() {
  mkdirSync(dataDir, { recursive: true });
  const s3 = { ...localObjectStore };

  launch('object-store', 'infra/local/object-store.ts', { S3_PORT: '4569', S3_DIRECTORY: join(dataDir, 's3') }, ['--openssl-legacy-provider']);
  await waitFor(async () => (await fetch(`${s3.endpoint}/${s3.bucket}`)).status < 500, () => 'the object store to answer', 60_000);

  const primaryUrl = 'http://127.0.0.1:8787';
  launch('primary', 'functions/node.ts', { HOST: '127.0.0.1', PORT: '8787', TANDEM_SERVER_ID: 'primary', TANDEM_ROLE: 'primary', TANDEM_DATA_DIR: dataDir });
  await healthy(`${primaryUrl}/healthz`);

  const tokenFile = join(dataDir, 'primary-admin-token');
  if (!existsSync(tokenFile)) throw new Error(`${tokenFile} is missing: the admin token was created on an earlier start; set TANDEM_ADMIN_TOKEN or remove ${dataDir} to start afresh`);
  const adminToken = readFileSync(tokenFile, 'utf8').trim();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(primaryUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const demo = await seedDemoData(api, s3);
  if (demo.seeded) log('demo data created', { terminals: demo.macs });
  // A demo licence bound to this machine's installation id, signed with the demo key (infra/demo/).
  const licence = await installDemoLicense({ url: primaryUrl, adminToken });
  log(licence.installed ? 'demo licence installed' : 'demo licence already installed', { licenseId: licence.license.licenseId, expiresAt: licence.license.expiresAt });

  const relayTokenFile = join(dataDir, 'local-relay-token');
  if (!existsSync(relayTokenFile)) {
    const res = await api('POST', '/api/v1/tokens', { role: 'relay', name: `local-relays-${Date.now()}` });
    writeFileSync(relayTokenFile, res.body.token + '\n', { mode: 0o600 });
  }

  console.log(`
Tandem is running on this machine.
  handler (primary)   ${primaryUrl}        health: ${primaryUrl}/healthz   API: ${primaryUrl}/api/v1/openapi.json
  admin token         ${adminToken}
  licence             ${licence.license.licenseId}: demo key, not for production (${primaryUrl}/api/v1/license)
                      (saved in ${tokenFile}, mode 0600)
  object store (S3)   ${s3.endpoint}   bucket ${s3.bucket}
Try: curl -H "Authorization: Bearer ${adminToken}" ${primaryUrl}/api/v1/terminals
Ctrl-C stops everything.
`);
}

function stopAll(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  log('stopping', { signal });
  for (const { proc } of children) proc.signal('SIGTERM');
  Promise.all(children.map((c) => c.proc.exited)).then(() => process.exit(0));
  setTimeout(() => {
    for (const { proc } of children) proc.signal('SIGKILL');
    process.exit(0);
  }, 8000).unref();
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', component: 'start', msg: String(err?.message ?? err) }));
  stopAll('SIGTERM');
  process.exitCode = 1;
});
