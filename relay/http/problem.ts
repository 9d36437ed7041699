import type { ServerResponse } from 'node:http';

/** RFC 9457 problem document with a stable machine-readable code. */
export function sendProblem(res: ServerResponse, status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: `urn:tandem:problem:${code}`, title, status, detail, code });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
