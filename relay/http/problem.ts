import type { ServerResponse } from 'node:http';
import { errorScript } from './ipxe-script';

/** RFC 9457 problem document with a stable machine-readable code. */
export function sendProblem(res: ServerResponse, status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: `urn:tandem:problem:${code}`, title, status, detail, code });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The same refusal to iPXE, which shows no problem document: a script that says why. */
export function sendScriptError(res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  const body = errorScript(detail);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-tandem-error': code, ...headers });
  res.end(body);
}
