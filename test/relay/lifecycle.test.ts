import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RawTftpClient } from '../../infra/emulator/tftp-client';
import { randomFile, sha256, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

const run = promisify(execFile);

describe('relay process lifecycle', { timeout: 90_000 }, () => {
  let relay: TestRelay | null = null;

  afterEach(async () => {
    await relay?.stop();
    relay = null;
  });

  it('lets a transfer in flight finish on SIGTERM, then exits cleanly', async () => {
    const boot = tempDir('relay-life');
    const image = randomFile(boot, 'image.bin', 400 * 512 + 3);
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot });
    const client = await RawTftpClient.open(relay.tftpPort);
    try {
      const first = await client.requestAndWait('image.bin');
      expect(first.packet).toMatchObject({ op: 'data', block: 1 });
      const chunks = [Buffer.from(first.packet.op === 'data' ? first.packet.data : [])];
      process.kill(-relay.process.child.pid!, 'SIGTERM');
      client.ack(1);
      for (let block = 2; ; block++) {
        const { packet } = await client.next();
        expect(packet).toMatchObject({ op: 'data', block });
        if (packet.op !== 'data') break;
        chunks.push(Buffer.from(packet.data));
        client.ack(block);
        if (packet.data.length < 512) break;
      }
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(image));
    } finally {
      await client.close();
    }
    expect(await relay.process.exited).toBe(0);
    expect(relay.process.records().map((r) => r.event)).toEqual(expect.arrayContaining(['relay_draining', 'relay_stopped']));
  });

  it('spreads work over cluster workers, adds up their metrics, and moves TFTP to a live worker when its worker dies', async () => {
    const boot = tempDir('relay-cluster');
    const image = randomFile(boot, 'image.bin', 2 * 1024 * 1024);
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_WORKERS: '2' });
    const r = relay;
    const fetchOne = async (i: number) => {
      const out = `${boot}/out-${i}`;
      await run('curl', ['-sS', '--max-time', '60', '--tftp-blksize', '1468', '-o', out, `tftp://127.0.0.1:${r.tftpPort}/image.bin`]);
      return out;
    };
    const outs = await Promise.all([0, 1, 2, 3, 4, 5].map(fetchOne));
    for (const out of outs) expect(sha256(readFileSync(out))).toBe(sha256(image));
    expect(await r.metric('relay_tftp_transfers_total', 'outcome="complete"')).toBe(6);

    type Listening = { pid: number; tftpPort: number | null };
    const listening = () => r.process.records().filter((x) => x.event === 'relay_listening') as unknown as Listening[];
    for (let i = 0; i < 100 && listening().length < 2; i++) await new Promise((res) => setTimeout(res, 100));
    // One worker serves TFTP (all transfers in one process); the other serves HTTP.
    expect(listening().map((x) => x.tftpPort !== null).sort()).toEqual([false, true]);
    // Whichever worker answers /healthz, it tells the TFTP status (the HTTP-only one asks the other).
    const answers = await Promise.all(
      Array.from({ length: 8 }, async () => JSON.parse((await run('curl', ['-sS', '--max-time', '10', `${r.http}/healthz`])).stdout) as { worker: number; tftp: unknown }),
    );
    expect(new Set(answers.map((a) => a.worker)).size).toBe(2);
    for (const a of answers) expect(a.tftp).toEqual({ activeTransfers: 0, io: 'thread', threads: expect.any(Number) });
    const tftpWorker = listening().find((x) => x.tftpPort !== null)!.pid;
    const heir = listening().find((x) => x.tftpPort === null)!.pid;
    process.kill(tftpWorker, 'SIGKILL');
    // A new worker starts in seconds, longer on a loaded machine: wait up to a minute.
    for (let i = 0; i < 600 && listening().length < 3; i++) await new Promise((res) => setTimeout(res, 100));
    expect(listening()).toHaveLength(3);
    expect(await r.metric('relay_worker_restarts_total')).toBe(1);
    // The surviving worker took TFTP over; its replacement serves HTTP only.
    expect(r.process.records().find((x) => x.event === 'relay_singletons_taken')).toMatchObject({ pid: heir, tftpPort: r.tftpPort });
    expect(listening()[2].tftpPort).toBeNull();
    const again = await fetchOne(99);
    expect(sha256(readFileSync(again))).toBe(sha256(image));
  });
});
