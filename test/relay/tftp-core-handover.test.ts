import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedCpus } from '../../relay/cpu-affinity';
import { randomFile, sha256, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const cpus = allowedCpus() ?? [];

/**
 * The relay runs a transfer thread on each core and moves a transfer between them by the core its
 * client sends from. Clients are held on one core each with taskset; a lone transfer starts on the
 * first core's thread.
 */
describe.runIf(process.platform === 'linux' && cpus.length >= 2)('TFTP transfers move between the transfer threads of the cores', { timeout: 120_000 }, () => {
  /** Busy polling off: a thread serves its transfers from their clients' cores. */
  let following: TestRelay;
  /** The default: a thread with a few transfers polls for them from another core than their clients'. */
  let polling: TestRelay;
  let out: string;
  let expected: string;
  const [first, last] = [cpus[0], cpus[cpus.length - 1]];

  beforeAll(async () => {
    const boot = tempDir('relay-boot');
    out = tempDir('relay-out');
    expected = sha256(randomFile(boot, 'firmware.img', 8 * MiB + 123));
    [following, polling] = await Promise.all([startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_BUSY_POLL_US: '0' }), startTestRelay({ RELAY_BOOT_DIR: boot })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([following?.stop(), polling?.stop()]);
  });

  const fetched = (name: string) => sha256(readFileSync(join(out, name)));
  const handovers = (relay: TestRelay) => relay.metric('relay_tftp_thread_handovers_total');
  const curlOn = (relay: TestRelay, cpu: number, name: string) =>
    run('taskset', ['-c', String(cpu), 'curl', '-sS', '--max-time', '60', '--tftp-blksize', '1468', '-o', join(out, name), `tftp://127.0.0.1:${relay.tftpPort}/firmware.img`]);
  const atftpOn = (relay: TestRelay, cpu: number, name: string) =>
    run(
      'taskset',
      ['-c', String(cpu), 'atftp', '--option', 'windowsize 16', '--option', 'blksize 1468', '-g', '-r', 'firmware.img', '-l', join(out, name), '127.0.0.1', String(relay.tftpPort)],
      { timeout: 60_000 },
    );

  it('runs a transfer thread on every core', async () => {
    const health = (await (await fetch(`${following.http}/healthz`)).json()) as { tftp: { io: string; threads: number } };
    expect(health.tftp).toMatchObject({ io: 'thread', threads: cpus.length });
  });

  /** A lone fetch by a client on the core given, byte-exact; answers the relay's handovers after it. */
  const fetchOn = async (relay: TestRelay, cpu: number, name: string) => {
    await curlOn(relay, cpu, name);
    expect(fetched(name)).toBe(expected);
    return handovers(relay);
  };

  it('keeps a transfer whose client is on the serving thread’s core, and moves one whose client is elsewhere, byte-exact', async () => {
    expect(await fetchOn(following, first, 'following-first')).toBe(0);
    expect(await fetchOn(following, last, 'following-last')).toBe(1);
  });

  it('while polling, moves a transfer away from its client’s core and leaves one that is apart already', async () => {
    expect(await fetchOn(polling, last, 'polling-last')).toBe(0);
    expect(await fetchOn(polling, first, 'polling-first')).toBe(1);
  });

  it('moves a windowed transfer sent as segmented UDP, byte-exact', async () => {
    await atftpOn(following, last, 'atftp-last');
    expect(fetched('atftp-last')).toBe(expected);
    expect(await handovers(following)).toBe(2);
    expect(await following.metric('relay_tftp_segmented_transfers_total')).toBe(1);
  });

  it('serves clients on every core at once, each byte-exact, and counts them all complete', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `mixed-${i}`);
    await Promise.all(names.map((name, i) => (i % 2 ? atftpOn(following, cpus[i % cpus.length], name) : curlOn(following, cpus[i % cpus.length], name))));
    for (const name of names) expect(fetched(name)).toBe(expected);
    expect(await following.metric('relay_tftp_transfers_total', 'outcome="complete"')).toBe(11);
    expect(await following.metric('relay_tftp_transfers_active')).toBe(0);
  });
});
