import { createServer, type Socket } from 'node:net';

/** A TCP listener standing in for a terminal server (RDP) of an emulated site. */
export interface StandInTerminalServer {
  name: string;
  host: string;
  port: number;
  /** Sessions held open on it now. */
  sessions(): number;
  /** Stops it and drops every session on it, as a terminal server that dies does. */
  stop(): Promise<void>;
}

/** Accepts connections and holds them until the client or stop() ends them. Port 0: any free one. */
export async function startStandInTerminalServer(name: string, port = 0, host = '127.0.0.1'): Promise<StandInTerminalServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    name,
    host,
    port: (server.address() as { port: number }).port,
    sessions: () => sockets.size,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
