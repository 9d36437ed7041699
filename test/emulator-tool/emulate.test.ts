import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootReport, FleetSummary } from '../../infra/emulator/boot-report';
import { tempDir } from '../relay/support/files';
import { freePort } from '../support/ports';
import { startEmulate } from './support/emulate-process';
import { startStandInTerminalServer } from '../../infra/emulator/stand-in-terminal-server';
import { type EmulatorSite, startEmulatorSite } from './support/emulator-site';

const PHASES = /dhcp [\d.]+ ms {2}loader [\d.]+ ms {2}script [\d.]+ ms {2}firmware [\d.]+ ms {2}config [\d.]+ ms {2}session [\d.]+ ms/;

describe('npx tandem emulate against a real site', { timeout: 180_000 }, () => {
  let site: EmulatorSite;

  beforeAll(async () => {
    site = await startEmulatorSite({ terminals: 4 });
  }, 180_000);

  afterAll(async () => {
    await site?.stop();
  });

  it('boots terminals through proxyDHCP, TFTP and HTTP and prints each one’s phases and a summary', async () => {
    const json = join(tempDir('emulate-json'), 'run.json');
    const run = startEmulate([...site.emulateArgs('proxy-dhcp'), '--mac', site.macs[0], '--count', '3', '--exit', '--json', json]);
    await run.exitsWith(0);
    const booted = run.lines.filter((l) => / booted /.test(l));
    expect(booted).toHaveLength(3);
    for (const [i, line] of booted.entries()) {
      expect(line).toMatch(PHASES);
      expect(line).toContain('firmware tandem-os 2.0');
      expect(line).toMatch(/sessions line-desktop on rds-a 127\.0\.0\.1:\d+/);
      expect(run.lines.some((l) => l.startsWith(`${site.macs[i]}  booted`))).toBe(true);
    }
    expect(run.lines.find((l) => l.startsWith('summary:'))).toMatch(/^summary: 3 of 3 terminals booted, 0 failed; all had their configuration and sessions after [\d.]+ ms$/);
    for (const phase of ['dhcp', 'loader', 'script', 'firmware', 'config', 'session', 'total']) expect(run.lines.some((l) => new RegExp(`^${phase} +[\\d.]+ ms +[\\d.]+ ms +[\\d.]+ ms$`).test(l))).toBe(true);
    expect(run.stderr).toMatch(/progress: 3\/3 done \(3 booted, 0 failed\)/);

    const written = JSON.parse(readFileSync(json, 'utf8')) as { summary: FleetSummary; reports: BootReport[] };
    expect(written.summary).toMatchObject({ terminals: 3, booted: 3, failed: 0 });
    // Every terminal got the firmware the configuration names, from one of the relays.
    for (const report of written.reports) {
      expect(report.firmware).toBe('tandem-os 2.0');
      expect(report.servedBy.firmware).toMatch(new RegExp(`^(${site.endpoints.a.url}|${site.endpoints.b.url})/firmware/fw/tandem-os-2.0.img$`));
      expect(report.servedBy.config).toMatch(new RegExp(`/config/${report.mac}$`));
    }
  });

  it('boots from the relay list, taking the boot loader from the next relay when the first does not answer', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const deadTftp = await freePort('udp');
    const run = startEmulate([
      '--relays',
      `${dead},${site.endpoints.b.url}`,
      '--tftp-port',
      `${deadTftp},${site.endpoints.b.tftpPort}`,
      '--mac',
      site.macs[3],
      '--timeout-ms',
      '1000',
      '--exit',
    ]);
    await run.exitsWith(0);
    const line = run.lines.find((l) => l.startsWith(`${site.macs[3]}  booted`))!;
    expect(line).toMatch(/dhcp - {2}loader [\d.]+ ms/);
    expect(line).toContain(`loader tftp://127.0.0.1:${site.endpoints.b.tftpPort}`);
    expect(line).toContain(`from ${site.endpoints.b.url}/firmware/`);
    // The loader phase includes waiting out the dead relay.
    expect(Number(/loader ([\d.]+) ms/.exec(line)![1])).toBeGreaterThanOrEqual(1000);
  });

  it('moves a session to the next terminal server when its server dies, reboots on command, and quits', async () => {
    const run = startEmulate([...site.emulateArgs('list'), '--mac', site.macs[0]]);
    try {
      await run.waitForLine(new RegExp(`^${site.macs[0]}  booted .*sessions line-desktop on rds-a`));
      await run.waitForLine(/^holding 1 terminal/);
      await site.terminalServers[0].stop();
      expect(await run.waitForLine(/session line-desktop: rds-a .* went away; now on rds-b/)).toMatch(/now on rds-b 127\.0\.0\.1:\d+ \([\d.]+ ms\)/);

      run.send('status');
      expect(await run.waitForLine(new RegExp(`^${site.macs[0]}  running  config \\S+  line-desktop on rds-b`))).toBeTruthy();
      const before = run.lines.length;
      run.send('reboot');
      // After the reboot the terminal starts again from the top of its list: rds-a is gone, rds-b takes it.
      expect(await run.waitForLine(new RegExp(`^${site.macs[0]}  booted .*sessions line-desktop on rds-b`), 60_000, before)).toMatch(/dhcp - {2}loader [\d.]+ ms/);
      run.send('quit');
      await run.exitsWith(0);
    } finally {
      await run.kill();
    }
  });

  it('holds a standby session with instant failover and switches to it when the active server dies', async () => {
    const admin = site.site.admin;
    const servers = [await startStandInTerminalServer('hot-1'), await startStandInTerminalServer('hot-2'), await startStandInTerminalServer('hot-3')];
    const ids: string[] = [];
    for (const s of servers) ids.push((await admin.post('/api/v1/terminal-servers', { name: s.name, host: '127.0.0.1', port: s.port })).body.id);
    const client = await admin.post('/api/v1/display-clients', { name: 'hot-desktop', type: 'rdp', terminalServerIds: ids, failoverMode: 'instant-failover' });
    const firmwareId = (await admin.get('/api/v1/firmware-packages')).body.items[0].id;
    const group = await admin.post('/api/v1/groups', { name: 'hot-line', displayClientIds: [client.body.id], firmwarePackageId: firmwareId });
    expect((await admin.post('/api/v1/terminals', { mac: '02:00:00:bb:00:01', name: 'hot-station', groupId: group.body.id })).status).toBe(201);
    const run = startEmulate([...site.emulateArgs('list'), '--mac', '02:00:00:bb:00:01']);
    try {
      await run.waitForLine(/^02:00:00:bb:00:01 {2}booted .*sessions hot-desktop on hot-1 127\.0\.0\.1:\d+ \(standby hot-2 127\.0\.0\.1:\d+\)/);
      expect([servers[0].sessions(), servers[1].sessions(), servers[2].sessions()]).toEqual([1, 1, 0]);
      await servers[0].stop();
      await run.waitForLine(/session hot-desktop: hot-1 .* went away; now on hot-2 127\.0\.0\.1:\d+/);
      // A new standby is taken on the next server of the list.
      for (let i = 0; i < 100 && servers[2].sessions() === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect([servers[1].sessions(), servers[2].sessions()]).toEqual([1, 1]);
      run.send('quit');
      await run.exitsWith(0);
    } finally {
      await run.kill();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it('reports a terminal the site does not know as failed, with what the relay’s script said', async () => {
    const run = startEmulate([...site.emulateArgs('proxy-dhcp'), '--mac', '02:00:00:ff:ff:01', '--max-script-sleep', '0', '--exit']);
    await run.exitsWith(1);
    const line = run.lines.find((l) => l.startsWith('02:00:00:ff:ff:01  FAILED'))!;
    expect(line).toMatch(/FAILED in firmware after 1 attempt\(s\): the script rebooted the terminal/);
    expect(line).toMatch(/script said: Tandem: .*02:00:00:ff:ff:01/i);
    expect(run.lines).toContain('summary: 0 of 1 terminals booted, 1 failed');
  });

  it('refuses bad options with the usage', async () => {
    const run = startEmulate(['--count', 'many']);
    await run.exitsWith(2);
    expect(run.stderr).toContain('--count must be a whole number');
    expect(run.stderr).toContain('usage: npx tandem emulate');
  });
});
