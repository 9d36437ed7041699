import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

/** What the relay reads of a handler's answer (Node's Response and undici's both are one). */
export interface HandlerResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type HandlerFetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<HandlerResponse>;

/** Node's own fetch: system CAs. */
export const nodeFetch: HandlerFetch = (url, init) => fetch(url, init);

/**
 * How the relay reaches its handlers. Certificates are always verified: against the system's CAs,
 * and with RELAY_CA_FILE also against a plant's own CA (added to the system's, so that a handler
 * with a public certificate, on Workers say, still works).
 */
export async function handlerFetch(caFile: string | undefined): Promise<HandlerFetch> {
  if (!caFile) return nodeFetch;
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (error) {
    throw new Error(`RELAY_CA_FILE: cannot read ${caFile}: ${(error as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`RELAY_CA_FILE: ${caFile} holds no PEM certificate`);
  // undici's fetch with undici's Agent: Node's own fetch is another undici version, and a dispatcher
  // from one version does not always work with the other's fetch.
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, pem] } });
  return (url, init) => undiciFetch(url, { ...init, dispatcher });
}
