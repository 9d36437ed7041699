import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from '../../infra/local/processes';
import type { ApiClient, HandlerProcess } from '../support/handler';
import { licensePayload, type TestVendor } from '../support/licensing';

const run = promisify(execFile);

/** `npx tandem …` against a handler, as an operator runs it (a real child process). */
export function tandem(handler: Pick<HandlerProcess, 'url' | 'adminToken'>, args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['infra/cli/tandem.mjs', ...args], {
    cwd: repoRoot,
    env: { ...process.env, TANDEM_URL: handler.url, TANDEM_TOKEN: handler.adminToken, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** A single-server licence for this handler's installation with room for `quantity` terminals, installed. */
export async function licenseSingleServer(admin: ApiClient, vendor: TestVendor, quantity: number): Promise<void> {
  const installationId = (await admin.get('/api/v1/server')).body.installationId as string;
  const licence = await vendor.sign(licensePayload(installationId, { products: [{ product: 'terminal-connection', quantity, appliesTo: 'primary' }] }));
  const res = await admin.call('PUT', '/api/v1/license', licence);
  if (res.status !== 200) throw new Error(`licence install: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Each terminal's boot document as a relay gets it, by MAC. */
export async function bootDocuments(relay: ApiClient, macs: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const mac of macs) {
    const res = await relay.get(`/api/v1/boot/terminals/${mac}`);
    if (res.status !== 200) throw new Error(`boot document of ${mac}: ${res.status} ${JSON.stringify(res.body)}`);
    out[mac] = res.body;
  }
  return out;
}

/** A plant with every kind of record and inheritance at three levels: what an export must carry whole. */
export async function seedPlant(admin: ApiClient, terminals: number, firmware = { objectKey: 'fw/tc-os-1.img', sha256: 'a'.repeat(64), size: 1234 }) {
  const must = async (res: Promise<{ status: number; body: any }>, what: string) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await res;
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string };
  };
  const rdsA = await must(admin.post('/api/v1/terminal-servers', { name: 'rds-a', host: '10.1.0.11' }), 'terminal server');
  const rdsB = await must(admin.post('/api/v1/terminal-servers', { name: 'rds-b', host: '10.1.0.12', port: 3390, enabled: false }), 'terminal server');
  const hmi = await must(
    admin.post('/api/v1/display-clients', { name: 'line-hmi', type: 'rdp', settings: { domain: 'PLANT', password: 's3cret' }, terminalServerIds: [rdsB.id, rdsA.id], failoverMode: 'failover' }),
    'display client',
  );
  const web = await must(admin.post('/api/v1/display-clients', { name: 'kiosk', type: 'web', settings: { url: 'https://mes.plant' } }), 'display client');
  const fw = await must(admin.post('/api/v1/firmware-packages', { name: 'tc-os', packageVersion: '1.0', ...firmware }), 'firmware');
  // Children are created before their parents are moved under them: the export must order them.
  const cell = await must(admin.post('/api/v1/groups', { name: 'cell-7', options: { keyboard: 'de' } }), 'group');
  const plant = await must(admin.post('/api/v1/groups', { name: 'plant', videoResolution: '1920x1080', firmwarePackageId: fw.id, displayClientIds: [hmi.id], options: { timezone: 'Europe/Berlin' } }), 'group');
  const line = await must(admin.post('/api/v1/groups', { name: 'line-1', parentId: plant.id, hardwareModel: 'tc-200' }), 'group');
  const cellRecord = (await admin.get(`/api/v1/groups/${cell.id}`)).body;
  await must(admin.patch(`/api/v1/groups/${cell.id}`, { parentId: line.id }, { 'if-match': `"${cellRecord.version}"` }), 'group move');
  const groups = [plant.id, line.id, cell.id, null];
  const macs: string[] = [];
  for (let i = 0; i < terminals; i++) {
    const mac = `02:00:5e:10:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    const own = i % 5 === 0 ? { videoResolution: '1280x1024', displayClientIds: [web.id] } : {};
    await must(admin.post('/api/v1/terminals', { mac, name: `t-${i}`, groupId: groups[i % groups.length], ...own }), 'terminal');
    macs.push(mac);
  }
  return { macs, ids: { rdsA: rdsA.id, rdsB: rdsB.id, hmi: hmi.id, web: web.id, fw: fw.id, plant: plant.id, line: line.id, cell: cell.id } };
}
