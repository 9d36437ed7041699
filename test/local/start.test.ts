import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeScript, waitFor, type Started } from '../../infra/local/processes';
import { startEmulate } from '../emulator-tool/support/emulate-process';
import { signedIn } from '../support/dashboard-client';

const run = promisify(execFile);

/** `npm start` as an operator runs it: the whole local system, then Ctrl-C. */
describe('npm start (the whole local system)', () => {
  let system: Started;
  let dataDir: string;
  let secrets: { admin: string; relay: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tandem-start-'));
    system = startNodeScript('infra/local/start.ts', { TANDEM_DATA_DIR: dataDir });
    await waitFor(async () => system.output().includes('Ctrl-C stops everything'), () => `npm start to be ready; output:\n${system.output()}`, 120_000);
    secrets = JSON.parse(readFileSync(join(dataDir, 'local-secrets.json'), 'utf8'));
  });
  afterAll(async () => {
    // Each part runs in its own process group: npm start stops them on SIGTERM (a SIGKILL would orphan them).
    system?.signal('SIGTERM');
    await Promise.race([system?.exited, new Promise((r) => setTimeout(r, 20_000))]);
    system?.signal('SIGKILL');
  });

  it('keeps its tokens in a 0600 file and prints the admin token', () => {
    expect(statSync(join(dataDir, 'local-secrets.json')).mode & 0o777).toBe(0o600);
    expect(system.output()).toContain(secrets.admin);
  });

  it('prints the dashboard URL first, where the admin token signs in', async () => {
    const summary = system.output().split('Tandem is running on this machine.')[1].split('\n').filter((line) => line.trim());
    expect(summary[0].trim()).toMatch(/^dashboard\s+http:\/\/127\.0\.0\.1:8787\/dashboard\s/);
    const session = await signedIn((path, init) => fetch(`http://127.0.0.1:8787${path}`, init), secrets.admin);
    const overview = await session.get('/dashboard');
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('<h1>Overview</h1>');
  });

  it('runs both handlers, the secondary licensed through the pair and configurable', async () => {
    const primary = await (await fetch('http://127.0.0.1:8787/healthz')).json();
    expect(primary).toMatchObject({ serverId: 'primary', role: 'primary', database: 'ok' });
    const secondary = await (await fetch('http://127.0.0.1:8788/healthz')).json();
    expect(secondary).toMatchObject({ serverId: 'secondary', role: 'secondary', database: 'ok' });
    // The licence was installed on the primary only; synchronisation carries it over.
    await waitFor(
      async () => (await (await fetch('http://127.0.0.1:8788/healthz')).json()).license?.servesTerminals === true,
      () => 'the secondary to receive the licence',
      30_000,
    );
    // A terminal configured on the secondary reaches the primary (full redundancy).
    const created = await fetch('http://127.0.0.1:8788/api/v1/terminals', {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mac: '02:00:00:00:00:99', name: 'made-on-secondary' }),
    });
    expect(created.status).toBe(201);
    await waitFor(
      async () => (await fetch('http://127.0.0.1:8787/api/v1/terminals?mac=02:00:00:00:00:99', { headers: { authorization: `Bearer ${secrets.admin}` } }).then((r) => r.json())).total === 1,
      () => 'the terminal to reach the primary',
      30_000,
    );
  });

  it('serves demo terminals their configuration through either relay, and verified firmware over TFTP', async () => {
    for (const port of [8080, 8081]) {
      const res = await fetch(`http://127.0.0.1:${port}/config/02-00-00-00-00-01`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-tandem-config-source')).toBe('live');
      const doc = await res.json();
      expect(doc.groupPath).toEqual(['assembly-line-1', 'plant']);
      expect(doc.displayClients[0].terminalServers).toHaveLength(2);
    }
    const doc = await (await fetch('http://127.0.0.1:8080/config/02:00:00:00:00:01')).json();
    const target = join(dataDir, 'firmware.img');
    await waitFor(
      async () => {
        await run('curl', ['-sf', '-o', target, `tftp://127.0.0.1:6969/firmware/${doc.firmware.objectKey}`]);
        return true;
      },
      () => 'the relay to serve the verified firmware',
      30_000,
    );
    expect(createHash('sha256').update(readFileSync(target)).digest('hex')).toBe(doc.firmware.sha256);
  });

  it('prints the command that boots an emulated demo terminal, which boots it through the relays and shows its phases', async () => {
    const command = system.output().split('\n').map((line) => line.trim()).find((line) => line.startsWith('npx tandem emulate '))!;
    expect(command).toBe('npx tandem emulate --relays http://127.0.0.1:8080,http://127.0.0.1:8081 --tftp-port 6969,6970 --mac 02:00:00:00:00:01');
    const [file, ...args] = command.split(' ');
    const terminal = startEmulate(args.slice(2), [file, ...args.slice(0, 2)]);
    try {
      const booted = await terminal.waitForLine(/^02:00:00:00:00:01 {2}booted /, 120_000);
      expect(booted).toMatch(/dhcp - {2}loader [\d.]+ ms {2}script [\d.]+ ms {2}firmware [\d.]+ ms {2}config [\d.]+ ms {2}session [\d.]+ ms/);
      expect(booted).toContain('firmware tandem-os 1.0.0');
      expect(booted).toContain('sessions line-desktop on rds-a 127.0.0.1:13389');
      terminal.send('quit');
      await terminal.exitsWith(0);
    } finally {
      await terminal.kill();
    }
  });

  it('stops every part on Ctrl-C', async () => {
    system.signal('SIGINT');
    expect(await system.exited).toBe(0);
    for (const url of ['http://127.0.0.1:8787/healthz', 'http://127.0.0.1:8788/healthz', 'http://127.0.0.1:8080/healthz', 'http://127.0.0.1:4569/'])
      await expect(fetch(url)).rejects.toThrow();
  });
});
