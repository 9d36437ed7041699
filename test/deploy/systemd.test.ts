import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtEntries } from '../../infra/build/build';
import { repoRoot } from '../../infra/local/processes';
import { tempDir } from '../relay/support/files';

const unitsDir = join(repoRoot, 'infra/systemd');
const units = ['tandem-handler.service', 'tandem-relay.service'];

/** A unit file's [Service] (and other) keys; a key given several times keeps every value. */
function readUnit(name: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of readFileSync(join(unitsDir, name), 'utf8').split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) keys.set(match[1], [...(keys.get(match[1]) ?? []), match[2]]);
  }
  return keys;
}
const one = (unit: Map<string, string[]>, key: string) => unit.get(key)?.at(-1);

/**
 * An offline root for systemd-analyze: systemd's own units (sysinit.target …), ours, the
 * sysusers file, and /usr/bin/node as the units name it (verify checks that ExecStart's binary
 * exists and is executable, inside the root, whatever node this machine runs).
 */
function offlineRoot(unitText: (name: string) => string = (name) => readFileSync(join(unitsDir, name), 'utf8')): string {
  const root = tempDir('tandem-systemd-root');
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  for (const name of units) writeFileSync(join(root, 'etc/systemd/system', name), unitText(name));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/node'), '#!/bin/sh\n');
  chmodSync(join(root, 'usr/bin/node'), 0o755);
  mkdirSync(join(root, 'usr/lib/sysusers.d'), { recursive: true });
  copyFileSync(join(unitsDir, 'tandem.sysusers.conf'), join(root, 'usr/lib/sysusers.d/tandem.conf'));
  return root;
}

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
};

describe('the systemd units', () => {
  let root: string;
  beforeAll(() => {
    root = offlineRoot();
  });

  it('pass systemd-analyze verify without a single complaint', () => {
    const verified = run('systemd-analyze', ['verify', `--root=${root}`, ...units]);
    expect(verified).toEqual({ status: 0, output: '' });
  });

  it('fail the same check when a unit has a value systemd cannot parse (the check sees errors)', () => {
    const broken = offlineRoot((name) => readFileSync(join(unitsDir, name), 'utf8').replace('UMask=0077', 'UMask=0077\nProtectSystem=everything'));
    const verified = run('systemd-analyze', ['verify', `--root=${broken}`, ...units]);
    expect(verified.output).toMatch(/Failed to parse protect system value/);
  });

  it('keep their exposure low in systemd-analyze security', () => {
    for (const unit of units) {
      const review = run('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, '--threshold=25', '--no-pager', unit]);
      expect(review.status, review.output.slice(-400)).toBe(0);
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(review.output)?.[1]);
      expect(level, unit).toBeLessThan(2.5);
    }
  });

  it('run the built JavaScript, not TypeScript through a loader', () => {
    expect(one(readUnit('tandem-handler.service'), 'ExecStart')).toBe(`/usr/bin/node /opt/tandem/${builtEntries.handler}`);
    expect(one(readUnit('tandem-relay.service'), 'ExecStart')).toBe(`/usr/bin/node /opt/tandem/${builtEntries.relay}`);
  });

  it('run each service as a user of its own that systemd-sysusers creates, without a login shell', () => {
    const made = run('systemd-sysusers', [`--root=${root}`]);
    expect(made.status, made.output).toBe(0);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    const users = units.map((unit) => one(readUnit(unit), 'User'));
    expect(new Set(users).size).toBe(units.length);
    for (const user of users) {
      expect(user).not.toBe('root');
      expect(passwd).toMatch(new RegExp(`^${user}:x:\\d+:\\d+:[^:]*:[^:]*:/usr/sbin/nologin$`, 'm'));
    }
  });

  it('give the relay CAP_NET_BIND_SERVICE alone and the handler no capability', () => {
    const relay = readUnit('tandem-relay.service');
    expect(relay.get('CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(relay.get('AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    const handler = readUnit('tandem-handler.service');
    expect(handler.get('CapabilityBoundingSet')).toEqual(['']);
    expect(handler.get('AmbientCapabilities')).toEqual(['']);
  });

  it('write only to their state directory, with private files and no privilege gain', () => {
    for (const unit of units) {
      const keys = readUnit(unit);
      expect(one(keys, 'ProtectSystem'), unit).toBe('strict');
      expect(one(keys, 'ProtectHome'), unit).toBe('yes');
      expect(one(keys, 'PrivateTmp'), unit).toBe('yes');
      expect(one(keys, 'NoNewPrivileges'), unit).toBe('yes');
      expect(one(keys, 'UMask'), unit).toBe('0077');
      expect(one(keys, 'StateDirectoryMode'), unit).toBe('0700');
      expect(keys.has('ReadWritePaths'), unit).toBe(false);
      const state = one(keys, 'StateDirectory');
      expect(state, unit).toBe(unit.replace('.service', ''));
      // The program's data setting points into it (the environment file comes after and may not need to).
      expect(keys.get('Environment')?.some((e) => e.endsWith(`=%S/${state}`)), unit).toBe(true);
    }
  });
});
