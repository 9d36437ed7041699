import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchTrusting } from '../../functions/node-transport';
import type { PeerFetch } from '../../functions/sync/peer-client';
import { jsonClient } from './json-client';
import { freePort } from './ports';
import { startNodeScript, waitFor, type Started } from '../../infra/local/processes';

export interface HandlerProcess extends Started {
  url: string;
  port: number;
  adminToken: string;
  dataDir: string;
  env: Record<string, string>;
  /** SIGTERM and wait. */
  stop: () => Promise<void>;
  /** SIGKILL and wait. */
  kill: () => Promise<void>;
  /** Starts it again with the same settings and data. */
  restart: () => Promise<HandlerProcess>;
}

/**
 * A real handler process on loopback with its own database in a temp folder. A demo system
 * (TANDEM_DEMO=1, the demo licence key trusted) unless `env` says otherwise. `readyTimeoutMs`:
 * how long it may take to be healthy (30 s by default), kept for restarts.
 */
export async function startHandler(options: { env?: Record<string, string>; dataDir?: string; port?: number; readyTimeoutMs?: number } = {}): Promise<HandlerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-handler-'));
  const port = options.port ?? (await freePort());
  const adminToken = options.env?.TANDEM_ADMIN_TOKEN ?? `tdm_test_admin_${port}_${randomUUID()}`;
  const env: Record<string, string> = { HOST: '127.0.0.1', PORT: String(port), TANDEM_DATA_DIR: dataDir, TANDEM_ADMIN_TOKEN: adminToken, TANDEM_DEMO: '1', ...options.env };
  const started = startNodeScript('functions/node.ts', env);
  // Over HTTPS when given a certificate, which (self-signed in tests) is its own CA.
  const url = `${env.TANDEM_TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${port}`;
  const probe = fetchTrusting(env.TANDEM_TLS_CERT_FILE);
  const exitedEarly = started.exited.then((code) => {
    throw new Error(`handler exited (code ${code}) before it was healthy; output:\n${started.output()}`);
  });
  await Promise.race([
    exitedEarly,
    waitFor(async () => (await probe(`${url}/healthz`, {})).ok, () => `handler on ${url} to be healthy; output:\n${started.output()}`, options.readyTimeoutMs),
  ]).catch((err) => {
    started.signal('SIGKILL');
    throw err;
  });
  exitedEarly.catch(() => {});
  const handle: HandlerProcess = {
    ...started,
    url,
    port,
    adminToken,
    dataDir,
    env,
    stop: async () => {
      started.signal('SIGTERM');
      await started.exited;
    },
    kill: async () => {
      started.signal('SIGKILL');
      await started.exited;
    },
    restart: () => startHandler({ env, dataDir, port, readyTimeoutMs: options.readyTimeoutMs }),
  };
  return handle;
}

/** The admin API of a handler at baseUrl, called with one token (through `send`: a fetch that trusts a test CA). */
export function apiClient(baseUrl: string, token: string, send: PeerFetch = fetch) {
  return apiClientOver(jsonClient((path, init) => send(baseUrl + path, init)), token);
}

/** The same calls over any JSON client: a socket, or an in-process app's `request`. */
export function apiClientOver(request: ReturnType<typeof jsonClient<Headers>>, token: string) {
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => request(method, path, { token, body, headers });
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    patch: (path: string, body: unknown, headers?: Record<string, string>) => call('PATCH', path, body, headers),
    delete: (path: string, headers?: Record<string, string>) => call('DELETE', path, undefined, headers),
    call,
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

/** Creates a token of a role through the API and returns it. */
export async function createToken(api: ApiClient, role: string, name = `${role}-${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
  const res = await api.post('/api/v1/tokens', { role, name });
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}
