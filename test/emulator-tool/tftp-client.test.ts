import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RawTftpClient } from '../../infra/emulator/tftp-client';
import { decodePacket, encodeData } from '../../relay/tftp/codec';

/** A TFTP server that answers a request from a transfer socket of its own (lock-step, 512-byte blocks) as the test scripts it. */
async function scriptedServer(onAck: (block: number, count: number, reply: (block: number, data: Buffer) => void) => void) {
  const requests = createSocket('udp4');
  const transfer = createSocket('udp4');
  const acks = new Map<number, number>();
  requests.on('message', (message, client) => {
    if (decodePacket(message).op !== 'rrq') return;
    const reply = (block: number, data: Buffer) => transfer.send(encodeData(block, data), client.port, client.address);
    transfer.removeAllListeners('message');
    transfer.on('message', (ack) => {
      const packet = decodePacket(ack);
      if (packet.op !== 'ack') return;
      acks.set(packet.block, (acks.get(packet.block) ?? 0) + 1);
      onAck(packet.block, acks.get(packet.block)!, reply);
    });
    reply(1, Buffer.alloc(512, 1));
  });
  await Promise.all([requests, transfer].map((socket) => new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))));
  return {
    port: requests.address().port,
    acks,
    close: () => Promise.all([requests, transfer].map((socket) => new Promise<void>((resolve) => socket.close(() => resolve())))).then(() => {}),
  };
}

describe('the emulator’s TFTP client', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of open.splice(0)) await close();
  });

  it('sends its last ACK again while the server is silent, as RFC 1350 asks, and finishes the transfer', async () => {
    // The server "loses" the first ACK of block 1 and answers only the second.
    const server = await scriptedServer((block, count, reply) => {
      if (block === 1 && count === 2) reply(2, Buffer.alloc(100, 2));
    });
    open.push(server.close);
    const client = await RawTftpClient.open(server.port);
    open.push(() => client.close());
    const { data } = await client.fetch('file', [], 'octet', { silenceMs: 5000, retransmitMs: 200 });
    expect(data.length).toBe(612);
    expect(server.acks.get(1)).toBe(2);
  });

  it('gives up after the silence it was told to bear', async () => {
    const server = await scriptedServer(() => {});
    open.push(server.close);
    const client = await RawTftpClient.open(server.port);
    open.push(() => client.close());
    await expect(client.fetch('file', [], 'octet', { silenceMs: 600, retransmitMs: 200 })).rejects.toThrow('no datagram from the server');
    // Sent once, then again at each 200 ms of silence until 600 ms had passed.
    expect(server.acks.get(1)).toBe(3);
  });
});
