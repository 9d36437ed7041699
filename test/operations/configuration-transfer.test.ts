import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { testVendor } from '../support/licensing';
import { tempDir } from '../relay/support/files';
import { bootDocuments, licenseSingleServer, seedPlant, tandem } from './support';

const TERMINALS = 24;

describe('tandem export / import: the whole configuration as one document', { timeout: 240_000 }, () => {
  let source: HandlerProcess;
  let target: HandlerProcess;
  let adminSource: ApiClient;
  let adminTarget: ApiClient;
  let macs: string[];
  const dir = tempDir('tandem-export');
  const file = join(dir, 'plant.json');

  beforeAll(async () => {
    const vendor = await testVendor();
    const env = { TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey };
    [source, target] = await Promise.all([startHandler({ env }), startHandler({ env })]);
    adminSource = apiClient(source.url, source.adminToken);
    adminTarget = apiClient(target.url, target.adminToken);
    await Promise.all([licenseSingleServer(adminSource, vendor, 100), licenseSingleServer(adminTarget, vendor, 100)]);
    ({ macs } = await seedPlant(adminSource, TERMINALS));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('exports a versioned document, for this user only', async () => {
    const { stderr } = await tandem(source, ['export', file]);
    expect(stderr).toContain(`${TERMINALS} terminal`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc).toMatchObject({ format: 'tandem-configuration', version: 1, source: { serverId: 'primary' } });
    expect(doc.records.terminal).toHaveLength(TERMINALS);
    expect(doc.records.group.map((g: { name: string }) => g.name).sort()).toEqual(['cell-7', 'line-1', 'plant']);
    // Complete: the credentials a terminal needs travel with the configuration.
    expect(doc.records['display-client'].find((d: { name: string }) => d.name === 'line-hmi').settings.password).toBe('s3cret');
  });

  it('refuses a document it cannot import whole, and writes nothing of it', async () => {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const broken = { ...doc, records: { ...doc.records, terminal: [...doc.records.terminal, { ...doc.records.terminal[0], id: 'x-1', mac: '02:00:5e:99:99:99', name: 'orphan', groupId: 'no-such-group' }] } };
    const brokenFile = join(dir, 'broken.json');
    writeFileSync(brokenFile, JSON.stringify(broken));
    await expect(tandem(target, ['import', brokenFile])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/400 .*groupId/) });

    const newer = join(dir, 'newer.json');
    writeFileSync(newer, JSON.stringify({ ...doc, version: 2 }));
    await expect(tandem(target, ['import', newer])).rejects.toMatchObject({ stderr: expect.stringContaining('unsupported_configuration_version') });

    for (const path of ['terminals', 'groups', 'terminal-servers', 'display-clients', 'firmware-packages']) expect((await adminTarget.get(`/api/v1/${path}`)).body.total, path).toBe(0);
  });

  it('shows what an import into an empty server would add', async () => {
    const { stdout } = await tandem(target, ['import', file, '--dry-run']);
    expect(stdout).toMatch(new RegExp(`terminal\\s+${TERMINALS}\\s+0\\s+0\\s+0\\s+0`));
    expect(stdout).toContain('this server holds no configuration');
    expect((await adminTarget.get('/api/v1/terminals')).body.total).toBe(0);
  });

  it('imports into an empty server: every terminal resolves to the same boot document', async () => {
    const { stdout } = await tandem(target, ['import', file]);
    expect(stdout).toContain(`imported 2 terminal-server, 2 display-client, 1 firmware-package, 3 group, ${TERMINALS} terminal`);

    const [relaySource, relayTarget] = await Promise.all([
      createToken(adminSource, 'relay', 'relay-a').then((t) => apiClient(source.url, t)),
      createToken(adminTarget, 'relay', 'relay-a').then((t) => apiClient(target.url, t)),
    ]);
    const [before, after] = await Promise.all([bootDocuments(relaySource, macs), bootDocuments(relayTarget, macs)]);
    expect(Object.keys(after)).toHaveLength(TERMINALS);
    expect(after).toEqual(before);
    // The documents do differ by terminal: inheritance from three levels of groups, and terminals' own settings.
    expect(new Set(Object.values(after).map((d) => (d as { configVersion: string }).configVersion)).size).toBeGreaterThan(3);

    // The import went through the one write path: history and audit on the importing server.
    const changes = (await adminTarget.get(`/api/v1/changes?entity=terminal&limit=1000`)).body.items;
    expect(changes.filter((c: { operation: string }) => c.operation === 'create')).toHaveLength(TERMINALS);
    expect((await adminTarget.get('/api/v1/audit-events?entity=configuration')).body.items[0]).toMatchObject({ action: 'configuration.import' });
  });

  it('lists terminals with their group by name, and takes a group by name', async () => {
    const { stdout } = await tandem(target, ['terminals']);
    expect(stdout.split('\n')[0]).toMatch(/^mac\s+name\s+group\s+version/);
    expect(stdout).toMatch(/02:00:5e:10:00:01\s+t-1\s+line-1\s/);
    expect(stdout).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // no group ids
    await tandem(target, ['add-terminal', '02:00:5e:60:00:01', 'by-name', 'cell-7']);
    expect((await tandem(target, ['terminals'])).stdout).toMatch(/02:00:5e:60:00:01\s+by-name\s+cell-7\s/);
    await expect(tandem(target, ['add-terminal', '02:00:5e:60:00:02', 'nowhere', 'no-such-group'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('there is no group "no-such-group"') });
    const groups = await tandem(target, ['groups']);
    expect(groups.stdout).toMatch(/cell-7\s+line-1\s/);
    expect(groups.stdout).toMatch(/plant\s+tc-os 1\.0\s/);
  });

  it('refuses to import into a server that holds configuration; a dry run shows the difference', async () => {
    const terminal = (await adminSource.get('/api/v1/terminals?mac=02:00:5e:10:00:02')).body.items[0];
    expect((await adminSource.patch(`/api/v1/terminals/${terminal.id}`, { name: 'renamed', videoResolution: '800x600' })).status).toBe(200);
    expect((await adminSource.post('/api/v1/terminals', { mac: '02:00:5e:20:00:01', name: 'extra' })).status).toBe(201);

    const { stdout } = await tandem(source, ['import', file, '--dry-run']);
    expect(stdout).toMatch(new RegExp(`terminal\\s+0\\s+1\\s+1\\s+${TERMINALS - 1}\\s+0`));
    expect(stdout).toContain(`~ terminal 02:00:5e:10:00:02 t-2 (${terminal.id}): name, videoResolution`);
    expect(stdout).toContain('- terminal 02:00:5e:20:00:01 extra');

    await expect(tandem(source, ['import', file])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('409 configuration_not_empty') });
    expect((await adminSource.get(`/api/v1/terminals/${terminal.id}`)).body.name).toBe('renamed');
  });
});
