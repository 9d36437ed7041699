import { createSocket, type Socket } from 'node:dgram';
import { decodePacket } from '../../../relay/tftp/codec';

/** A UDP socket on loopback that keeps what it receives: the client end of a link under test. */
export async function udpReceiver(): Promise<{ socket: Socket; port: number; received: Buffer[]; close(): void }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, port: socket.address().port, received, close: () => socket.close() };
}

/** Waits (two seconds at most) until check holds. */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** The payloads of received DATA packets, by block number (a block sent twice shows twice). */
export function dataBlocks(received: Buffer[]): Map<number, Buffer[]> {
  const blocks = new Map<number, Buffer[]>();
  for (const m of received) {
    const p = decodePacket(m);
    if (p.op !== 'data') throw new Error(`not DATA: ${p.op}`);
    blocks.set(p.block, [...(blocks.get(p.block) ?? []), Buffer.from(p.data)]);
  }
  return blocks;
}
