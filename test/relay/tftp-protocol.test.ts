import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeAck, encodeData, encodeError, encodeOack, encodeRequest, TftpError } from '../../relay/tftp/codec';
import { RawTftpClient } from '../../infra/emulator/tftp-client';
import { randomFile, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

describe.each(['thread', 'node'])('TFTP protocol, driven packet by packet (transfers on %s I/O)', { timeout: 60_000 }, (io) => {
  let relay: TestRelay;
  let boot: string;
  const files: Record<string, Buffer> = {};
  const clients: RawTftpClient[] = [];

  const client = async () => {
    const c = await RawTftpClient.open(relay.tftpPort);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const root = tempDir('relay-proto');
    boot = join(root, 'boot');
    mkdirSync(join(boot, 'sub'), { recursive: true });
    writeFileSync(join(root, 'secret.txt'), 'outside the tree');
    symlinkSync(join(root, 'secret.txt'), join(boot, 'escape.txt'));
    files.small = randomFile(boot, 'small.bin', 100);
    files.exact = randomFile(boot, 'exact1024.bin', 1024);
    files.window = randomFile(boot, 'window.bin', 20 * 512 + 7);
    files.rollover = randomFile(boot, 'rollover.bin', 16 * 70_000 + 5);
    files.inner = randomFile(join(boot, 'sub'), 'inner.bin', 3000);
    writeFileSync(join(boot, 'text.cfg'), 'line one\nline two\r\n');
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_MAX_TRANSFERS: '3', RELAY_TFTP_RETRIES: '3', RELAY_TFTP_IO: io });
  }, 60_000);

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      // End anything still open on the relay's side so no transfer outlives its test.
      if (c.serverPort) c.sendToTransfer(encodeError(TftpError.NotDefined, 'test over'));
      await c.close();
    }
  });

  afterAll(async () => {
    await relay?.stop();
  });

  it('sends DATA 1 straight away, without an OACK, when no option is asked for', async () => {
    const c = await client();
    c.request('small.bin');
    const { packet } = await c.next();
    expect(packet).toMatchObject({ op: 'data', block: 1 });
    expect(packet.op === 'data' && Buffer.from(packet.data).equals(files.small)).toBe(true);
    c.ack(1);
  });

  it('names in the OACK only the options the client asked for, leaving out unknown ones', async () => {
    const c = await client();
    c.request('small.bin', [['tsize', '0'], ['frobnicate', '7'], ['blksize', '1024']]);
    const { packet } = await c.next();
    expect(packet).toEqual({ op: 'oack', options: [['tsize', '100'], ['blksize', '1024']] });
    c.ack(0);
    expect((await c.next()).packet).toMatchObject({ op: 'data', block: 1 });
    c.ack(1);
  });

  it('ends a size probe (ERROR 8 after the OACK) quietly, as UEFI firmware does before each download', async () => {
    const probesBefore = await relay.metric('relay_tftp_transfers_total', 'outcome="probe"');
    const c = await client();
    c.request('exact1024.bin', [['tsize', '0'], ['blksize', '1468']]);
    expect((await c.next()).packet).toEqual({ op: 'oack', options: [['tsize', '1024'], ['blksize', '1468']] });
    c.sendToTransfer(encodeError(TftpError.OptionRefused, 'size probe only'));
    for (let i = 0; i < 50 && (await relay.metric('relay_tftp_transfers_total', 'outcome="probe"')) === probesBefore; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await relay.metric('relay_tftp_transfers_total', 'outcome="probe"')).toBe(probesBefore + 1);
    // The real download follows and works.
    const again = await client();
    expect((await again.fetch('exact1024.bin', [['blksize', '1468']])).data.equals(files.exact)).toBe(true);
  });

  it('refuses write requests with an access violation', async () => {
    const c = await client();
    c.sendToRequestPort(encodeRequest('wrq', 'upload.bin', 'octet'));
    expect((await c.next()).packet).toMatchObject({ op: 'error', code: TftpError.AccessViolation });
  });

  it.each(['../secret.txt', '/etc/passwd', 'sub/../../secret.txt', '..\\secret.txt', 'escape.txt', 'C:\\boot.ini'])('refuses %j with an access violation', async (name) => {
    const c = await client();
    c.request(name);
    expect((await c.next()).packet).toMatchObject({ op: 'error', code: TftpError.AccessViolation });
  });

  it('answers a missing file with file-not-found and serves sub-directories', async () => {
    const c = await client();
    c.request('missing.bin');
    expect((await c.next()).packet).toMatchObject({ op: 'error', code: TftpError.FileNotFound });
    const d = await client();
    expect((await d.fetch('sub/inner.bin')).data.equals(files.inner)).toBe(true);
  });

  it.each([
    ['an empty datagram', Buffer.alloc(0)],
    ['a lone byte', Buffer.from([0])],
    ['an unknown opcode', Buffer.from([0, 9, 1, 2])],
    ['a request without a mode', Buffer.from('\x00\x01file\x00', 'latin1')],
    ['a request cut mid-name', Buffer.from('\x00\x01fil', 'latin1')],
    ['an ACK on the request port', encodeAck(1)],
    ['a DATA on the request port', encodeData(1, Buffer.from('data'))],
    ['an OACK on the request port', encodeOack([['blksize', '512']])],
    ['an ERROR on the request port', encodeError(TftpError.NotDefined, 'error')],
  ])('answers %s with nothing (an answer to a spoofed source is reflection) and keeps serving', async (_name, bytes) => {
    const c = await client();
    c.sendToRequestPort(bytes);
    // The request port is read in order: an answer to the datagram would arrive before DATA 1.
    c.request('small.bin');
    expect((await c.next()).packet).toMatchObject({ op: 'data', block: 1 });
    c.ack(1);
    const d = await client();
    expect((await d.fetch('small.bin')).data.equals(files.small)).toBe(true);
  });

  it('refuses a transfer mode other than octet and netascii', async () => {
    const c = await client();
    c.request('small.bin', [], 'mail');
    expect((await c.next()).packet).toMatchObject({ op: 'error', code: TftpError.IllegalOperation });
  });

  it('ignores blksize 1 (below the RFC 2348 minimum) and caps blksize 70000 at the configured maximum', async () => {
    const c = await client();
    c.request('exact1024.bin', [['blksize', '1']]);
    const first = (await c.next()).packet;
    expect(first).toMatchObject({ op: 'data', block: 1 });
    expect(first.op === 'data' && first.data.length).toBe(512);
    c.sendToTransfer(encodeError(0, 'enough'));
    const d = await client();
    const { data, oack } = await d.fetch('window.bin', [['blksize', '70000']]);
    expect(oack).toEqual([['blksize', '1468']]);
    expect(data.equals(files.window)).toBe(true);
  });

  it('ends a file whose size is a multiple of the block size with an empty block', async () => {
    const c = await client();
    c.request('exact1024.bin');
    const sizes: number[] = [];
    for (let block = 1; block <= 3; block++) {
      const { packet } = await c.next();
      expect(packet).toMatchObject({ op: 'data', block });
      if (packet.op === 'data') sizes.push(packet.data.length);
      c.ack(block);
    }
    expect(sizes).toEqual([512, 512, 0]);
  });

  it('ignores a repeated ACK in lock-step (no Sorcerer’s Apprentice)', async () => {
    const c = await client();
    c.request('window.bin');
    expect((await c.next()).packet).toMatchObject({ op: 'data', block: 1 });
    c.ack(1);
    c.ack(1);
    expect((await c.next()).packet).toMatchObject({ op: 'data', block: 2 });
    c.ack(2);
    // A second DATA 2 would arrive before DATA 3: the relay answered the repeated ACK 1 before ACK 2.
    expect((await c.next()).packet).toMatchObject({ op: 'data', block: 3 });
  });

  it('rewinds the window to the block after the last one acknowledged', async () => {
    const c = await client();
    c.request('window.bin', [['windowsize', '4']]);
    expect((await c.next()).packet).toEqual({ op: 'oack', options: [['windowsize', '4']] });
    c.ack(0);
    for (let block = 1; block <= 4; block++) expect((await c.next()).packet).toMatchObject({ op: 'data', block });
    c.ack(2);
    for (let block = 3; block <= 6; block++) expect((await c.next()).packet).toMatchObject({ op: 'data', block });
    c.ack(6);
    expect((await c.next()).packet).toMatchObject({ op: 'data', block: 7 });
  });

  it('rolls block numbers over past 65535', async () => {
    const c = await client();
    const { data } = await c.fetch('rollover.bin', [['blksize', '16'], ['windowsize', '64']]);
    expect(data.length).toBe(files.rollover.length);
    expect(data.equals(files.rollover)).toBe(true);
  });

  it('sends netascii with CR LF line ends', async () => {
    const c = await client();
    const { data } = await c.fetch('text.cfg', [], 'netascii');
    expect(data.toString('latin1')).toBe('line one\r\nline two\r\0\r\n');
  });

  it('retransmits an unacknowledged block a bounded number of times, then gives up', async () => {
    const c = await client();
    c.request('small.bin', [['timeout', '1']]);
    expect((await c.next()).packet).toMatchObject({ op: 'oack' });
    c.ack(0);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { packet } = await c.next(10_000);
      seen.push(packet.op === 'data' ? `data${packet.block}` : packet.op);
      if (packet.op === 'error') break;
    }
    expect(seen).toEqual(['data1', 'data1', 'data1', 'error']);
  });

  it('refuses transfers past the cap with an error packet, and serves again once they end', async () => {
    const held: RawTftpClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await client();
      c.request('window.bin');
      expect((await c.next()).packet).toMatchObject({ op: 'data', block: 1 });
      held.push(c);
    }
    const refused = await client();
    refused.request('small.bin');
    expect((await refused.next()).packet).toMatchObject({ op: 'error', code: TftpError.DiskFull });
    for (const c of held) c.sendToTransfer(encodeError(0, 'done'));
    for (let i = 0; i < 50 && (await relay.metric('relay_tftp_transfers_active')) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    const after = await client();
    expect((await after.fetch('small.bin')).data.equals(files.small)).toBe(true);
  });
});
