import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { BootDocument } from '../../../functions/domain/boot-document';

export interface StandInHandler {
  url: string;
  /** Boot document requests it has answered (what a relay asked of its handlers). */
  readonly bootRequests: number;
  close(): Promise<void>;
}

/** A terminal's boot document without firmware or display clients; `fields` override. */
export const documentFor = (mac: string, fields: Partial<BootDocument> = {}): BootDocument => ({
  mac,
  terminalId: `t-${mac}`,
  name: `terminal ${mac}`,
  groupPath: [],
  hardwareModel: null,
  videoResolution: null,
  firmware: null,
  displayClients: [],
  options: {},
  configVersion: 'v1',
  ...fields,
});

/**
 * A handler stand-in on 127.0.0.1 that knows every terminal (a document without firmware), counts
 * what relays ask it, and serves HTTPS when given a key and certificate.
 */
export async function startStandInHandler(tls?: { key: string; cert: string }): Promise<StandInHandler> {
  let bootRequests = 0;
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/healthz') return json(200, { serverId: 'stand-in', role: 'primary', database: 'ok' });
    const boot = /^\/api\/v1\/boot\/terminals\/([^/]+)$/.exec(url.pathname);
    if (boot) {
      bootRequests++;
      return json(200, documentFor(decodeURIComponent(boot[1])));
    }
    if (url.pathname === '/api/v1/boot/checkins') {
      req.resume();
      res.writeHead(204);
      return res.end();
    }
    json(404, { code: 'not_found' });
  };
  const server: Server = tls ? createHttpsServer(tls, answer) : createHttpServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    get bootRequests() {
      return bootRequests;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
