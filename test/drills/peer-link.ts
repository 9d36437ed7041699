import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * The network between the two servers of a pair, as a TCP proxy on loopback: each handler's
 * TANDEM_PEER_URL points at it instead of at the other handler. `cut()` drops every open
 * connection and resets new ones (a partition, as a firewall that rejects); `heal()` lets
 * traffic through again. Relays and admins reach the handlers directly, not through it.
 */
export interface PeerLink {
  /** The URL a handler is given as its peer: this proxy, forwarding to the other handler. */
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startPeerLink(targetPort: number): Promise<PeerLink> {
  const open = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((inbound) => {
    if (cut) return inbound.resetAndDestroy();
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [inbound, outbound]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    heal() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
