import { createSocket } from 'node:dgram';
import { type DecodeResult, decodePacket } from '../../../relay/tftp/codec';

/**
 * One source on the plant network: a UDP socket on a loopback address of its own (all of
 * 127.0.0.0/8 is local), that keeps what the relay sends it and answers nothing unless told to.
 * A source that never answers is what a spoofed one looks like to the relay.
 */
export interface UdpSource {
  readonly address: string;
  /** Every datagram received, in order, with the relay port it came from. */
  readonly received: Array<{ packet: DecodeResult; port: number }>;
  /** Sends to the relay's request port, or to a transfer's port. */
  send(bytes: Uint8Array, port?: number): void;
  /** The relay ports that sent something: one per transfer (the request port, too, if it answered there). */
  ports(): Set<number>;
  close(): void;
}

export async function udpSource(address: string, requestPort: number): Promise<UdpSource> {
  const socket = createSocket('udp4');
  const received: UdpSource['received'] = [];
  socket.on('message', (message, remote) => received.push({ packet: decodePacket(message), port: remote.port }));
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
  return {
    address,
    received,
    send: (bytes, port = requestPort) => socket.send(bytes, port, '127.0.0.1'),
    ports: () => new Set(received.map((r) => r.port)),
    close: () => socket.close(),
  };
}

/** Sources 127.0.block.1, 127.0.block.2, … */
export function udpSources(block: number, count: number, requestPort: number): Promise<UdpSource[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => udpSource(`127.0.${block}.${i + 1}`, requestPort)));
}

/** Polls check until it holds or the tries run out (a bound, not an assertion: the caller asserts after). */
export async function waitUntil(check: () => boolean | Promise<boolean>, tries = 100, everyMs = 100): Promise<void> {
  for (let i = 0; i < tries && !(await check()); i++) await new Promise((r) => setTimeout(r, everyMs));
}
