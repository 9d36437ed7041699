import { createHash } from 'node:crypto';
import { request } from 'node:http';

export interface HttpGetResult {
  status: number;
  /** The body, unless it was only hashed (a firmware image need not stay in memory). */
  body: Buffer | null;
  size: number;
  sha256: string;
}

/**
 * One GET over a connection of its own (as iPXE and a terminal's firmware make them), from the
 * terminal's address. The body is hashed as it arrives; it is kept when keep says so, which may
 * look at the first bytes (is this an iPXE script?). A connection idle for timeoutMs fails.
 */
export function httpGet(url: string, options: { localAddress: string | null; timeoutMs: number; keep: (head: Buffer, length: number | null) => boolean }): Promise<HttpGetResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, localAddress: options.localAddress ?? undefined, headers: { 'user-agent': 'iPXE/1.21.1 (tandem emulator)' } }, (res) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      let keep: boolean | null = null;
      res.on('data', (chunk: Buffer) => {
        const length = res.headers['content-length'] ? Number(res.headers['content-length']) : null;
        keep ??= options.keep(chunk, length);
        if (keep) chunks.push(chunk);
        hash.update(chunk);
        size += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: keep === false ? null : Buffer.concat(chunks), size, sha256: hash.digest('hex') }));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error(`the connection closed after ${size} bytes, before the body ended`));
      });
    });
    req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code ? `${error.code} ${url}` : error.message)));
    req.end();
  });
}
