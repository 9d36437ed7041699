import { readFileSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { DomainError } from './domain/errors';
import type { HandlerSettings } from './settings';
import type { PeerFetch } from './sync/peer-client';

/**
 * TLS on Node, for the handler and the operator's CLI: HTTPS serving from a certificate and
 * key, and a fetch that also trusts a plant's own CA.
 */

/** What `serve` of @hono/node-server needs to serve HTTPS (TANDEM_TLS_*); nothing for plain http. */
export function httpsServing(tls: HandlerSettings['tls']): { createServer?: typeof createServer; serverOptions?: ServerOptions } {
  if (!tls) return {};
  return { createServer, serverOptions: { cert: pemFile('TANDEM_TLS_CERT_FILE', tls.certFile), key: pemFile('TANDEM_TLS_KEY_FILE', tls.keyFile) } };
}

/**
 * A fetch that checks certificates against the public CAs and the one in `caFile` (PEM, a
 * plant's own), so that a peer with a public certificate (on Workers, say) still answers; without
 * a file, the global fetch. It is undici's own fetch, so that the agent and the fetch are one
 * version (Node 20's built-in fetch bundles another).
 */
export function fetchTrusting(caFile: string | undefined): PeerFetch {
  if (!caFile) return (url, init) => fetch(url, init);
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, pemFile('TANDEM_CA_FILE', caFile, 'CERTIFICATE')] } });
  // undici's Response is what the global fetch answers in all but its declared type.
  return (url, init) => undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
}

function pemFile(setting: string, file: string, kind = ''): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DomainError(400, 'invalid_setting', `${setting}: cannot read ${file}: ${(err as Error).message}.`);
  }
  if (!pem.includes(`-----BEGIN ${kind}`)) throw new DomainError(400, 'invalid_setting', `${setting}: ${file} holds no PEM ${kind.toLowerCase() || 'data'}.`);
  return pem;
}
