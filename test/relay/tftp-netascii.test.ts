import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAck, encodeRequest } from '../../relay/tftp/codec';
import { RawTftpClient } from '../../infra/emulator/tftp-client';
import { tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { udpSources, waitUntil } from './support/udp-source';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Text full of line ends: LF, bare CR and CR LF, in random places. */
function text(size: number): Buffer {
  const alphabet = Buffer.from('abcdefgh\n\r');
  return Buffer.from(randomBytes(size).map((b) => alphabet[b % alphabet.length]));
}

/** RFC 764 netascii, written the plain way. */
function netascii(data: Buffer): Buffer {
  return Buffer.from(data.toString('latin1').replace(/\r/g, '\r\0').replace(/\n/g, '\r\n'), 'latin1');
}

/** What the relay process holds in memory, now and at its peak, in bytes. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

describe.runIf(process.platform === 'linux')('netascii requests for a large file do not multiply the relay’s memory', { timeout: 120_000 }, () => {
  let relay: TestRelay;

  beforeAll(async () => {
    const boot = tempDir('relay-netascii-memory');
    writeFileSync(join(boot, 'large.txt'), text(16 * MiB));
    writeFileSync(join(boot, 'small.txt'), text(3000));
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
  });

  it('40 netascii transfers of a 16 MiB file at once add far less than one converted copy each', async () => {
    // Warm the netascii path on a small file first, so that what is measured is the transfers.
    const warm = await RawTftpClient.open(relay.tftpPort);
    await warm.fetch('small.txt', [], 'netascii');
    await warm.close();
    const pid = relay.process.child.pid!;
    const before = memory(pid).rss;

    // 40 terminals on addresses of their own; each acknowledges the OACK and then holds its transfer.
    const terminals = await udpSources(3, 40, relay.tftpPort);
    try {
      for (const t of terminals) t.send(encodeRequest('rrq', 'large.txt', 'netascii', [['blksize', '1468']]));
      await waitUntil(() => {
        for (const t of terminals) {
          const oack = t.received.find((r) => r.packet.op === 'oack');
          if (oack && !t.received.some((r) => r.packet.op === 'data')) t.send(encodeAck(0), oack.port);
        }
        return terminals.every((t) => t.received.some((r) => r.packet.op === 'data'));
      }, 600, 100);
      expect(terminals.filter((t) => t.received.some((r) => r.packet.op === 'data'))).toHaveLength(40);
      // Each converted copy would be over 16 MiB: 40 of them, over 640 MiB (93 → 624 MiB RSS once).
      // Streamed, the file is held once (the memory cache), whatever the number of transfers.
      expect(memory(pid).peak - before).toBeLessThan(128 * MiB);
    } finally {
      for (const t of terminals) t.close();
    }
  });
});

describe.each([
  ['thread', 'in memory', '512'],
  ['thread', 'read from disk', '0'],
  ['node', 'in memory', '512'],
  ['node', 'read from disk', '0'],
])('netascii is converted block by block, right (transfers on %s I/O, the file %s)', { timeout: 60_000 }, (io, _where, cacheMb) => {
  let relay: TestRelay;
  let original: Buffer;
  let out: string;

  beforeAll(async () => {
    const boot = tempDir('relay-netascii');
    out = tempDir('relay-netascii-out');
    // A CR LF pair falls across the first block boundary (511 | 512), a CR NUL pair across the
    // second (1023 | 1024); then lines and bare CRs in random places over some 20 blocks.
    original = Buffer.concat([Buffer.from('a'.repeat(511) + '\n' + 'b'.repeat(510) + '\r' + 'c'), text(10_000), Buffer.from('last line\r\n')]);
    writeFileSync(join(boot, 'lines.txt'), original);
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_IO: io, RELAY_MEMORY_CACHE_MB: cacheMb });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
  });

  it('tftp-hpa’s tftp -m netascii gets the file back as it is', async () => {
    await run('tftp', ['-m', 'netascii', '127.0.0.1', String(relay.tftpPort), '-c', 'get', 'lines.txt', join(out, 'hpa.txt')], { timeout: 30_000 });
    expect(readFileSync(join(out, 'hpa.txt')).equals(original)).toBe(true);
  });

  it.each([
    ['lock-step', []],
    ['a window of 4 blocks of 512', [['blksize', '512'], ['windowsize', '4']]],
    ['blocks of 1468', [['blksize', '1468'], ['tsize', '0']]],
  ] as const)('puts CR LF and CR NUL on the wire, pairs across blocks too (%s)', async (_how, options) => {
    const client = await RawTftpClient.open(relay.tftpPort);
    try {
      const { data, oack } = await client.fetch('lines.txt', options.map(([n, v]) => [n, v] as const), 'netascii');
      expect(data.equals(netascii(original))).toBe(true);
      if (options.some(([n]) => n === 'tsize')) expect(oack).toContainEqual(['tsize', String(netascii(original).length)]);
    } finally {
      await client.close();
    }
  });
});
