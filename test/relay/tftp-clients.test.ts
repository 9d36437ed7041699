import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFile, sha256, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

const run = promisify(execFile);
const MiB = 1024 * 1024;

// thread: the relay's own socket thread (the default on Linux); node: Node's dgram, its fallback elsewhere.
describe.each(['thread', 'node'])('real TFTP clients fetch a 16 MiB file byte-exact (transfers on %s I/O)', { timeout: 120_000 }, (io) => {
  let relay: TestRelay;
  /** The same relay without UDP segmentation: one datagram a block, as where the kernel lacks it. */
  let unsegmented: TestRelay;
  let out: string;
  let expected: string;

  beforeAll(async () => {
    const boot = tempDir('relay-boot');
    out = tempDir('relay-out');
    expected = sha256(randomFile(boot, 'firmware.img', 16 * MiB));
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_IO: io });
    unsegmented = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_SEGMENTATION: 'off', RELAY_TFTP_IO: io });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([relay?.stop(), unsegmented?.stop()]);
  });

  const fetched = (name: string) => sha256(readFileSync(join(out, name)));
  const url = () => `tftp://127.0.0.1:${relay.tftpPort}/firmware.img`;

  it('runs its transfers on the I/O asked for', async () => {
    const health = (await (await fetch(`${relay.http}/healthz`)).json()) as { tftp: { io: string } };
    expect(health.tftp.io).toBe(io);
  });

  it('curl with default options', async () => {
    await run('curl', ['-sS', '--max-time', '120', '-o', join(out, 'curl-plain'), url()]);
    expect(fetched('curl-plain')).toBe(expected);
  });

  it('curl with --tftp-blksize 1468', async () => {
    await run('curl', ['-sS', '--max-time', '120', '--tftp-blksize', '1468', '-o', join(out, 'curl-1468'), url()]);
    expect(fetched('curl-1468')).toBe(expected);
  });

  it('tftp-hpa tftp (RFC 1350, 512-byte blocks)', async () => {
    await run('tftp', ['-m', 'binary', '127.0.0.1', String(relay.tftpPort), '-c', 'get', 'firmware.img', join(out, 'tftp-hpa')], { timeout: 120_000 });
    expect(fetched('tftp-hpa')).toBe(expected);
  });

  const atftpWindow = (port: number, name: string) =>
    run('atftp', ['--option', 'windowsize 16', '--option', 'blksize 1468', '-g', '-r', 'firmware.img', '-l', join(out, name), '127.0.0.1', String(port)], {
      timeout: 120_000,
    });

  it('atftp with windowsize 16 and blksize 1468', async () => {
    await atftpWindow(relay.tftpPort, 'atftp-window');
    expect(fetched('atftp-window')).toBe(expected);
    // On Linux each window went out as one segmented send.
    if (process.platform === 'linux') expect(await relay.metric('relay_tftp_segmented_transfers_total')).toBe(1);
  });

  it('atftp with windowsize 16, one datagram a block (RELAY_TFTP_SEGMENTATION=off)', async () => {
    await atftpWindow(unsegmented.tftpPort, 'atftp-window-unsegmented');
    expect(fetched('atftp-window-unsegmented')).toBe(expected);
    expect(await unsegmented.metric('relay_tftp_segmented_transfers_total')).toBe(0);
  });

  it('counts the transfers as complete', async () => {
    expect(await relay.metric('relay_tftp_transfers_total', 'outcome="complete"')).toBeGreaterThanOrEqual(4);
    expect(await relay.metric('relay_tftp_transfers_active')).toBe(0);
  });
});
