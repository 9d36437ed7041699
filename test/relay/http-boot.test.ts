import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFile, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';

/** A request whose path is sent exactly as written (fetch would normalise it). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP boot', { timeout: 60_000 }, () => {
  let relay: TestRelay;
  let loader: Buffer;

  beforeAll(async () => {
    const root = tempDir('relay-http');
    const boot = join(root, 'boot');
    mkdirSync(join(boot, 'ipxe'), { recursive: true });
    writeFileSync(join(root, 'secret.txt'), 'SECRET outside the tree');
    symlinkSync(join(root, 'secret.txt'), join(boot, 'escape.txt'));
    loader = randomFile(join(boot, 'ipxe'), 'snponly.efi', 300_000);
    relay = await startTestRelay({ RELAY_BOOT_DIR: boot });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
  });

  const url = (path: string) => `${relay.http}${path}`;

  it('serves boot files with length, validator and byte ranges', async () => {
    const res = await fetch(url('/ipxe/snponly.efi'));
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Number(res.headers.get('content-length'))).toBe(loader.length);
    expect(Buffer.from(await res.arrayBuffer()).equals(loader)).toBe(true);
    const etag = res.headers.get('etag')!;
    expect((await fetch(url('/ipxe/snponly.efi'), { headers: { 'if-none-match': etag } })).status).toBe(304);

    const part = await fetch(url('/ipxe/snponly.efi'), { headers: { range: 'bytes=1000-' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(loader.subarray(1000))).toBe(true);
    // If-Range with another validator: the whole file.
    const stale = await fetch(url('/ipxe/snponly.efi'), { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('answers HEAD without a body', async () => {
    const res = await fetch(url('/ipxe/snponly.efi'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(loader.length);
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/ipxe/..%2f..%2fsecret.txt', '/escape.txt', '/ipxe/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt'])(
    'never serves anything outside the tree for %s',
    async (path) => {
      const res = await rawGet(relay.httpPort, path);
      expect([400, 403, 404]).toContain(res.status);
      expect(res.body).not.toContain('SECRET');
    },
  );

  it('refuses writes', async () => {
    const res = await fetch(url('/ipxe/snponly.efi'), { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers a boot script request without a usable MAC with a clear error, as a script iPXE runs', async () => {
    const res = await fetch(url('/boot.ipxe?mac=nonsense'));
    // iPXE runs the body of a 2xx answer only; the refusal is in the headers for people and tools.
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tandem-status')).toBe('400');
    expect(await res.text()).toContain('is not a MAC address');
  });

  it('answers a terminal it has no configuration for with a script that says why and retries, with status 200', async () => {
    const res = await fetch(url('/boot.ipxe?mac=aa:bb:cc:dd:ee:01'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tandem-error')).toBeTruthy();
    expect(Number(res.headers.get('x-tandem-status'))).toBeGreaterThanOrEqual(400);
    const script = await res.text();
    expect(script).toMatch(/^#!ipxe\n/);
    expect(script).toMatch(/\necho Tandem: .+\nsleep \d+\nreboot\n$/);
  });

  it('reports health and Prometheus metrics', async () => {
    const health = await (await fetch(url('/healthz'))).json();
    expect(health).toMatchObject({ relayId: 'relay-test', status: 'degraded', handlers: [{ url: 'http://127.0.0.1:9', healthy: false }] });
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toContain('# TYPE relay_http_requests_total counter');
    expect(text).toMatch(/relay_http_requests_total\{route="file",status="200"\} \d+/);
    expect(text).toContain('relay_handler_up{handler="http://127.0.0.1:9"} 0');
  });
});
