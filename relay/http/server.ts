import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type BlockList, isIPv4 } from 'node:net';
import rangeParser from 'range-parser';
import { SourceRateLimiter } from '../../functions/domain/source-rate-limit';
import { configRefusal } from '../boot/config-refusal';
import type { FileResolver, ServedFile } from '../boot/served-file';
import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import { addressSet, type RelaySettings } from '../settings';
import type { TerminalBoot } from '../terminal-boot';
import { bootScript } from './ipxe-script';
import { sendProblem, sendScriptError } from './problem';

export interface HttpBootDeps {
  files: FileResolver;
  boot: TerminalBoot;
  relayId: string;
  /** The other relays of the site, named in every boot script. */
  peers: string[];
  health: () => Promise<{ status: number; body: unknown }>;
  metricsText: () => Promise<string>;
  log: Logger;
  metrics: Metrics;
  settings: RelaySettings['http'];
}

/**
 * HTTP boot: the served files (with Range), /config/{mac}, /boot.ipxe?mac=…, /healthz, /metrics.
 * Plain node:http: the data path serves large buffers and streams with nothing in between.
 */
export class HttpBootServer {
  readonly server: Server;
  private readonly requests: Counter;
  private readonly bytes: Counter;
  /** /config and /boot.ipxe per source: each asks a handler, which an unauthenticated flood must not reach. */
  private readonly limiter: SourceRateLimiter | null;
  private readonly unlimited: BlockList;
  /** sha256 of the token /metrics asks for (compared in constant time), or null: open. */
  private readonly metricsToken: Buffer | null;

  constructor(private readonly deps: HttpBootDeps) {
    const { configBurst, configPerMinute, unlimitedSources } = deps.settings;
    this.limiter = configPerMinute > 0 ? new SourceRateLimiter(configBurst, configPerMinute) : null;
    this.unlimited = addressSet(unlimitedSources);
    this.metricsToken = deps.settings.metricsToken ? sha256(deps.settings.metricsToken) : null;
    this.requests = deps.metrics.counter('relay_http_requests_total', 'HTTP requests by route and status.');
    this.bytes = deps.metrics.counter('relay_http_bytes_sent_total', 'File bytes sent over HTTP.');
    this.server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      this.handle(req, res).catch((error) => {
        deps.log.error('http_request_failed', { error, url: req.url });
        if (!res.headersSent) sendProblem(res, 500, 'internal_error', 'Internal error', 'the relay failed to answer; see its log');
        else res.destroy();
      });
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Stops taking connections and waits for responses in flight (idle keep-alives are closed). */
  close(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.closeAllConnections();
      }, timeoutMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://relay');
    const route = this.route(url.pathname);
    res.on('finish', () => this.requests.inc({ route, status: String(res.statusCode) }));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(res, 405, 'method_not_allowed', 'Method not allowed', 'the relay serves files and configurations read-only', { allow: 'GET, HEAD' });
      return;
    }
    switch (route) {
      case 'healthz': {
        const health = await this.deps.health();
        return this.json(res, health.status, health.body);
      }
      case 'metrics': {
        if (!this.mayReadMetrics(req)) {
          return sendProblem(res, 401, 'unauthorized', 'Unauthorized', 'the relay’s metrics need its metrics token (Authorization: Bearer …)', {
            'www-authenticate': 'Bearer realm="relay metrics"',
          });
        }
        const text = await this.deps.metricsText();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case 'config': {
        if (this.limited(req, res, route)) return;
        let mac: string;
        try {
          mac = decodeURIComponent(url.pathname.slice('/config/'.length)).replace(/\.json$/, '');
        } catch {
          return sendProblem(res, 400, 'invalid_mac', 'Not a MAC address', 'the path is not valid percent-encoding');
        }
        return this.config(req, res, mac);
      }
      case 'boot.ipxe':
        if (this.limited(req, res, route)) return;
        return this.ipxe(req, res, url.searchParams.get('mac') ?? '', url.searchParams.get('via'));
      default:
        return this.file(req, res, url.pathname);
    }
  }

  private route(pathname: string): string {
    if (pathname === '/healthz') return 'healthz';
    if (pathname === '/metrics') return 'metrics';
    if (pathname.startsWith('/config/')) return 'config';
    if (pathname === '/boot.ipxe') return 'boot.ipxe';
    return 'file';
  }

  private mayReadMetrics(req: IncomingMessage): boolean {
    if (!this.metricsToken) return true;
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    return scheme?.toLowerCase() === 'bearer' && !!token && timingSafeEqual(sha256(token), this.metricsToken);
  }

  /** Answers 429 (and says so) when the request's source has used up its rate; files are never limited. */
  private limited(req: IncomingMessage, res: ServerResponse, route: 'config' | 'boot.ipxe'): boolean {
    const source = req.socket.remoteAddress;
    if (!this.limiter || !source || this.unlimited.check(source, isIPv4(source) ? 'ipv4' : 'ipv6')) return false;
    const wait = this.limiter.take(source, performance.now());
    if (wait === 0) return false;
    const { configBurst, configPerMinute } = this.deps.settings;
    const detail = `${source} asked for configurations or boot scripts more than ${configBurst} times at once or ${configPerMinute} a minute; try again in ${wait} s`;
    const retry = { 'retry-after': String(wait) };
    if (route === 'config') sendProblem(res, 429, 'rate_limited', 'Too many requests', detail, retry);
    else sendScriptError(res, 429, 'rate_limited', detail, retry);
    return true;
  }

  private json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
    res.end(body);
  }

  private async config(req: IncomingMessage, res: ServerResponse, mac: string): Promise<void> {
    let info;
    try {
      info = await this.deps.boot.config(mac);
    } catch (error) {
      const refused = configRefusal(error);
      const retry: Record<string, string> = refused.retryAfterSeconds === null ? {} : { 'retry-after': String(refused.retryAfterSeconds) };
      return sendProblem(res, refused.status, refused.code, refused.title, refused.detail, retry);
    }
    const headers = { etag: info.etag, 'x-tandem-config-source': info.source, 'x-tandem-handler': info.handler, 'x-tandem-fetched-at': info.fetchedAt };
    if (req.headers['if-none-match'] === info.etag) {
      res.writeHead(304, { ...headers, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    this.json(res, 200, info.document, headers);
  }

  private async ipxe(req: IncomingMessage, res: ServerResponse, mac: string, via: string | null): Promise<void> {
    const baseUrl = `http://${req.headers.host ?? 'relay'}`;
    let info;
    try {
      info = await this.deps.boot.withFirmware(mac);
    } catch (error) {
      const refused = configRefusal(error);
      // iPXE runs the body of a 2xx answer only: with an error status the terminal would show
      // "HTTP error" and stop, instead of reading why and retrying.
      return sendScriptError(res, 200, refused.code, refused.detail, { 'x-tandem-status': String(refused.status), 'cache-control': 'no-store' });
    }
    const body = bootScript({ baseUrl, peers: this.deps.peers, via, relayId: this.deps.relayId, document: info.document, source: info.source, firmware: info.firmware });
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-tandem-config-source': info.source,
    });
    res.end(body);
  }

  private async file(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let name: string;
    try {
      name = decodeURIComponent(pathname).replace(/^\/+/, '');
    } catch {
      return sendProblem(res, 400, 'bad_path', 'Bad path', 'the path is not valid percent-encoding');
    }
    if (pathname.split('/').some((p) => p === '..' || p === '.')) return sendProblem(res, 403, 'forbidden_path', 'Forbidden', 'paths with .. are refused');
    const opened = await this.deps.files.open(name, { protocol: 'http', remoteAddress: req.socket.remoteAddress ?? '' });
    if (!opened.ok) {
      const status = opened.reason === 'forbidden' ? 403 : opened.reason === 'not_found' ? 404 : 503;
      return sendProblem(res, status, opened.reason, status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : 'Unavailable', opened.message);
    }
    this.send(req, res, opened.file);
  }

  private send(req: IncomingMessage, res: ServerResponse, file: ServedFile): void {
    const headers: Record<string, string | number> = {
      'content-type': file.contentType,
      etag: file.etag,
      'last-modified': new Date(file.mtimeMs).toUTCString(),
      'accept-ranges': 'bytes',
      ...file.headers,
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let start = 0;
    let end = file.size - 1;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (range && (!ifRange || ifRange === file.etag)) {
      const ranges = rangeParser(file.size, range, { combine: true });
      if (ranges === -1) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` });
        res.end();
        return;
      }
      // Malformed (-2) or several ranges: the whole file, as RFC 9110 allows.
      if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1) {
        start = ranges[0].start;
        end = ranges[0].end;
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
      }
    }
    const length = Math.max(0, end - start + 1);
    headers['content-length'] = length;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    this.bytes.inc({}, length);
    if (file.buffer) {
      res.end(start === 0 && length === file.buffer.length ? file.buffer : file.buffer.subarray(start, end + 1));
      return;
    }
    const stream = createReadStream(file.path!, { start, end, highWaterMark: 1024 * 1024 });
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
