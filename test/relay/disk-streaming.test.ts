import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFile, sha256, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

const run = promisify(execFile);

describe('files too large for the memory cache are streamed from disk', { timeout: 60_000 }, () => {
  let relay: TestRelay;
  let image: Buffer;
  let out: string;

  beforeAll(async () => {
    const boot = tempDir('relay-disk');
    out = tempDir('relay-disk-out');
    image = randomFile(boot, 'image.bin', 5 * 1024 * 1024 + 1);
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_MEMORY_CACHE_MB: '0' });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
  });

  it('over TFTP, with and without a window', async () => {
    await run('curl', ['-sS', '--max-time', '60', '--tftp-blksize', '1468', '-o', join(out, 'a'), `tftp://127.0.0.1:${relay.tftpPort}/image.bin`]);
    expect(sha256(readFileSync(join(out, 'a')))).toBe(sha256(image));
    await run('atftp', ['--option', 'windowsize 16', '--option', 'blksize 1468', '-g', '-r', 'image.bin', '-l', join(out, 'b'), '127.0.0.1', String(relay.tftpPort)], {
      timeout: 60_000,
    });
    expect(sha256(readFileSync(join(out, 'b')))).toBe(sha256(image));
  });

  it('over HTTP, whole and in ranges', async () => {
    const whole = await fetch(`${relay.http}/image.bin`);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(image));
    const part = await fetch(`${relay.http}/image.bin`, { headers: { range: 'bytes=1048570-1048579' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(image.subarray(1048570, 1048580))).toBe(true);
    expect(await relay.metric('relay_memory_cache_bytes')).toBe(0);
  });
});
