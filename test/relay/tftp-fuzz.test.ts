import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAck, encodeRequest } from '../../relay/tftp/codec';
import { RawTftpClient } from '../../infra/emulator/tftp-client';
import { randomFile, sha256, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

/** Seeded so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

describe('TFTP fuzzing', { timeout: 120_000 }, () => {
  let relay: TestRelay;
  let image: Buffer;

  beforeAll(async () => {
    const boot = tempDir('relay-fuzz');
    image = randomFile(boot, 'image.bin', 2 * 1024 * 1024 + 123);
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_RETRIES: '2' });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
  });

  it('survives 100,000 random datagrams and then serves a file byte-exact', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261125);
    const random = prng(seed);
    const byte = () => Math.floor(random() * 256);
    const valid = encodeRequest('rrq', 'no-such-file.bin', 'octet', [['blksize', '1468'], ['tsize', '0']]);
    const datagram = (): Buffer => {
      const kind = random();
      if (kind < 0.4) {
        // Pure noise, 0..700 bytes.
        return Buffer.from(Array.from({ length: Math.floor(random() * 700) }, byte));
      }
      if (kind < 0.8) {
        // A plausible opcode followed by noise, NULs sprinkled in.
        const body = Array.from({ length: Math.floor(random() * 80) }, () => (random() < 0.15 ? 0 : byte()));
        return Buffer.from([0, 1 + Math.floor(random() * 7), ...body]);
      }
      // A valid request with bytes flipped, truncated or extended.
      const mutated = Buffer.from(valid);
      for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) mutated[Math.floor(random() * mutated.length)] = byte();
      const cut = random() < 0.5 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
      return random() < 0.2 ? Buffer.concat([cut, Buffer.from(Array.from({ length: 20 }, byte))]) : cut;
    };

    const socket = createSocket('udp4');
    socket.on('message', () => {});
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    socket.connect(relay.tftpPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => {});

    // Also feed noise into a live transfer's own port.
    const victim = await RawTftpClient.open(relay.tftpPort);
    await victim.requestAndWait('image.bin', [['blksize', '512']]);

    const total = 100_000;
    const deadline = Date.now() + 60_000;
    let sent = 0;
    while (sent < total && Date.now() < deadline) {
      // Bursts small enough for the kernel queue, yielding between them.
      for (let i = 0; i < 200 && sent < total; i++, sent++) {
        if (sent % 50 === 0) victim.sendToTransfer(random() < 0.5 ? encodeAck(Math.floor(random() * 65536)) : datagram());
        else socket.send(datagram());
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(sent).toBe(total);
    socket.close();
    await victim.close();

    const healthz = await fetch(`${relay.http}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await relay.metric('relay_tftp_malformed_total')).toBeGreaterThan(0);

    const client = await RawTftpClient.open(relay.tftpPort);
    try {
      const { data } = await client.fetch('image.bin', [['blksize', '1468'], ['windowsize', '8']]);
      expect(sha256(data)).toBe(sha256(image));
    } finally {
      await client.close();
    }
    expect(relay.process.child.exitCode).toBeNull();
  });
});
