import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAck, encodeError, encodeRequest, TftpError, type TftpOption } from '../../relay/tftp/codec';
import { RawTftpClient } from '../../infra/emulator/tftp-client';
import { randomFile, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { type StandInHandler, startStandInHandler } from './support/stand-in-handler';
import { type UdpSource, udpSource, udpSources, waitUntil } from './support/udp-source';

/**
 * An attacker on the plant network sends TFTP datagrams with any source address it likes. Each
 * source here is a socket on a loopback address of its own; one that never answers is what a
 * spoofed source looks like. Every datagram is a real one, to a real relay process.
 */
const run = promisify(execFile);

/** How many transfers opened towards a source (each answers from a port of its own) and how many packets each sent. */
function packetsPerTransfer(source: UdpSource, requestPort: number): number[] {
  const counts = new Map<number, number>();
  for (const { port } of source.received) if (port !== requestPort) counts.set(port, (counts.get(port) ?? 0) + 1);
  return [...counts.values()];
}

const flood = (sources: UdpSource[], perSource: number, filename: string, options: TftpOption[]) => {
  const request = encodeRequest('rrq', filename, 'octet', options);
  for (let i = 0; i < perSource; i++) for (const s of sources) s.send(request);
};

describe.each(['thread', 'node'])('TFTP where sources can be spoofed (transfers on %s I/O)', { timeout: 120_000 }, (io) => {
  let relay: TestRelay;
  let handler: StandInHandler;
  let boot: string;
  let small: Buffer;
  const sources: UdpSource[] = [];
  const source = async (address: string) => {
    const s = await udpSource(address, relay.tftpPort);
    sources.push(s);
    return s;
  };
  const metric = (name: string, labels?: string) => relay.metric(name, labels);

  beforeAll(async () => {
    boot = tempDir('relay-spoofed');
    small = randomFile(boot, 'small.bin', 100);
    randomFile(boot, 'flood.bin', 64 * 1024);
    handler = await startStandInHandler();
    relay = await startTestRelay({
      RELAY_BOOT_DIR: boot,
      RELAY_TFTP_IO: io,
      RELAY_HANDLERS: handler.url,
      // One more request can be let through in a minute: none while the test runs, near enough.
      RELAY_TFTP_CONFIG_BURST: '5',
      RELAY_TFTP_CONFIG_PER_MINUTE: '1',
    });
  }, 60_000);

  afterAll(async () => {
    for (const s of sources.splice(0)) s.close();
    await handler?.close();
    await relay?.stop();
  });

  it('sends the first packet of a transfer that nobody acknowledges twice at most, and no ERROR', async () => {
    const ended = () => metric('relay_tftp_transfers_total', 'outcome="unacknowledged"');
    const endedBefore = await ended();
    const s = await source('127.0.0.12');
    s.send(encodeRequest('rrq', 'flood.bin', 'octet')); // DATA 1 first
    s.send(encodeRequest('rrq', 'flood.bin', 'octet', [['blksize', '1024']])); // OACK first
    // Until both have ended, or one has sent more than it may (the relay's retries would send up to five).
    await waitUntil(async () => packetsPerTransfer(s, relay.tftpPort).some((n) => n > 2) || (await ended()) >= endedBefore + 2);
    expect(packetsPerTransfer(s, relay.tftpPort)).toEqual([2, 2]);
    expect(s.received.map((r) => r.packet.op).sort()).toEqual(['data', 'data', 'oack', 'oack']);
    expect(await ended()).toBe(endedBefore + 2);
  });

  it('grants a timeout up to RELAY_TFTP_MAX_TIMEOUT_S (5) and leaves a longer one out of the OACK', async () => {
    const s = await source('127.0.0.13');
    s.send(encodeRequest('rrq', 'small.bin', 'octet', [['timeout', '255'], ['blksize', '1024']]));
    await waitUntil(() => s.received.length > 0, 50);
    expect(s.received[0]?.packet).toEqual({ op: 'oack', options: [['blksize', '1024']] });
    const t = await source('127.0.0.13');
    t.send(encodeRequest('rrq', 'small.bin', 'octet', [['timeout', '5']]));
    await waitUntil(() => t.received.length > 0, 50);
    expect(t.received[0]?.packet).toEqual({ op: 'oack', options: [['timeout', '5']] });
    for (const x of [s, t]) x.send(encodeError(TftpError.NotDefined, 'enough'), x.received[0].port);
  });

  it('limits config/ requests from one source (RELAY_TFTP_CONFIG_BURST), so the handlers are asked only so often, and serves another source its configuration', async () => {
    const dropped = () => metric('relay_tftp_requests_dropped_total', 'reason="config_rate"');
    const droppedBefore = await dropped();
    const asked = handler.bootRequests;
    const s = await source('127.0.0.15');
    const hex = (i: number) => i.toString(16).padStart(2, '0');
    for (let i = 0; i < 50; i++) s.send(encodeRequest('rrq', `config/aa:bb:cc:00:00:${hex(i)}.json`, 'octet'));
    // Each request let through asks the handler and opens a transfer; the others are dropped.
    await waitUntil(async () => s.ports().size + (await dropped()) - droppedBefore >= 50);
    expect(handler.bootRequests - asked).toBeLessThanOrEqual(5 + 1);
    expect(s.ports().size).toBe(handler.bootRequests - asked);
    const other = await source('127.0.0.16');
    other.send(encodeRequest('rrq', 'config/aa:bb:cc:00:01:00.json', 'octet'));
    await waitUntil(() => other.received.length > 0, 50);
    const [first] = other.received;
    expect(first?.packet).toMatchObject({ op: 'data', block: 1 });
    if (first?.packet.op === 'data') expect(JSON.parse(Buffer.from(first.packet.data).toString())).toMatchObject({ mac: 'aa:bb:cc:00:01:00' });
    other.send(encodeAck(1), first.port);
  });

  it('holds at most RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE (16) transfers for one source, answers it no more, and serves other sources', async () => {
    const dropped = () => metric('relay_tftp_requests_dropped_total', 'reason="source_cap"');
    const droppedBefore = await dropped();
    const s = await source('127.0.0.14');
    flood([s], 30, 'flood.bin', [['blksize', '1468']]);
    await waitUntil(async () => s.ports().size + (await dropped()) - droppedBefore >= 30);
    expect(s.ports().size).toBe(16);
    expect(s.received.every((r) => r.packet.op === 'oack')).toBe(true);
    expect((await dropped()) - droppedBefore).toBe(14);
    const other = await RawTftpClient.open(relay.tftpPort);
    try {
      expect((await other.fetch('small.bin')).data.equals(small)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('leaves a real client its file after 1,000 requests asking timeout=255 from sources that never acknowledge', async () => {
    const floodSources = await udpSources(1, 10, relay.tftpPort);
    sources.push(...floodSources);
    const refused = async () => (await metric('relay_tftp_requests_dropped_total', 'reason="source_cap"')) + (await metric('relay_tftp_requests_refused_total', 'reason="transfer_cap"'));
    const refusedBefore = await refused();
    flood(floodSources, 100, 'flood.bin', [['timeout', '255'], ['blksize', '1468'], ['tsize', '0']]);
    const opened = () => floodSources.reduce((sum, s) => sum + packetsPerTransfer(s, relay.tftpPort).length, 0);
    await waitUntil(async () => opened() + (await refused()) - refusedBefore >= 1000);
    // A terminal on another address, with a real client.
    const out = join(tempDir('relay-spoofed-out'), 'small.bin');
    await run('curl', ['-sS', '--max-time', '30', '--interface', '127.0.0.99', '-o', out, `tftp://127.0.0.1:${relay.tftpPort}/small.bin`]);
    expect(readFileSync(out).equals(small)).toBe(true);
    expect(opened()).toBeLessThanOrEqual(10 * 16);
  });
});

describe.each(['thread', 'node'])('a full relay makes room for a new source (transfers on %s I/O)', { timeout: 120_000 }, (io) => {
  let relay: TestRelay;
  let small: Buffer;
  let sources: UdpSource[] = [];

  beforeAll(async () => {
    const boot = tempDir('relay-evict');
    small = randomFile(boot, 'small.bin', 3000);
    randomFile(boot, 'flood.bin', 64 * 1024);
    // Transfers nobody acknowledges would hold their place for two minutes: only eviction frees it here.
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_TFTP_IO: io, RELAY_TFTP_MAX_TRANSFERS: '20', RELAY_TFTP_TIMEOUT_MS: '60000', RELAY_TFTP_FIRST_ACK_TIMEOUT_MS: '120000', RELAY_SHUTDOWN_TIMEOUT_MS: '500' });
  }, 60_000);

  afterAll(async () => {
    for (const s of sources) s.close();
    await relay?.stop();
  });

  it('lets a request from a source with no transfer take the place of the oldest one that nobody acknowledged', async () => {
    sources = await udpSources(2, 30, relay.tftpPort);
    flood(sources, 1, 'flood.bin', [['timeout', '255'], ['blksize', '1468']]);
    const evicted = () => relay.metric('relay_tftp_transfers_total', 'outcome="evicted"');
    const answered = () => sources.filter((s) => s.received.length > 0).length;
    await waitUntil(async () => answered() >= 20 && (await evicted()) + answered() >= 30);
    // Every source was new, so each took the place of an older one: none was refused, ten made room.
    // (One evicted before its OACK left sent nothing at all.)
    expect(sources.flatMap((s) => s.received.map((r) => r.packet.op)).every((op) => op === 'oack')).toBe(true);
    await waitUntil(async () => (await evicted()) >= 10, 50);
    expect(await evicted()).toBe(10);
    const out = join(tempDir('relay-evict-out'), 'small.bin');
    await run('curl', ['-sS', '--max-time', '30', '--interface', '127.0.0.99', '-o', out, `tftp://127.0.0.1:${relay.tftpPort}/small.bin`]);
    expect(readFileSync(out).equals(small)).toBe(true);
    await waitUntil(async () => (await evicted()) >= 11, 50);
    expect(await evicted()).toBe(11);
    // An evicted transfer says nothing more to the address it was asked from.
    expect(sources.every((s) => s.received.every((r) => r.packet.op === 'oack'))).toBe(true);
  });
});
