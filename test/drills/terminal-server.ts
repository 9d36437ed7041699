import { createServer, type Server, type Socket } from 'node:net';

/**
 * A terminal server as a terminal's display client meets it: a TCP listener on loopback that
 * echoes what it is sent (a session that answers). `die()` ends every session and stops
 * listening, as a crashed server does; `revive()` listens again on the same port.
 */
export interface TerminalServer {
  name: string;
  port: number;
  /** Sessions open on it now. */
  sessions(): number;
  die(): Promise<void>;
  revive(): Promise<void>;
}

export async function startTerminalServer(name: string): Promise<TerminalServer> {
  const open = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((socket) => {
        open.add(socket);
        socket.on('close', () => open.delete(socket));
        socket.on('error', () => socket.destroy());
        socket.pipe(socket);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);
  return {
    name,
    port,
    sessions: () => open.size,
    die: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.resetAndDestroy();
        server.close(() => resolve());
      }),
    revive: async () => {
      await listen(port);
    },
  };
}
