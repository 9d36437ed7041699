import { createHash } from 'node:crypto';
import { type BootDocument, bootDocumentSchema } from '../../functions/domain/boot-document';
import { parseMac } from '../../functions/domain/mac';
import { type BootConfig, ConfigError, type ConfigSource } from '../boot/config-source';
import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import type { ConfigCache } from './config-cache';
import type { HandlerResponse } from './handler-fetch';
import { describeFetchError, type HandlerPool } from './handler-pool';

const CONFIRMATION_REWRITE_MS = 5 * 60 * 1000;

export interface HandlerConfigSourceOptions {
  relayId: string;
  token: string | undefined;
  requestTimeoutMs: number;
  /** Told about every document a handler delivered (firmware sync hangs off this). */
  onLiveDocument?: (document: BootDocument) => void;
}

type Attempt =
  | { kind: 'document'; config: BootConfig }
  | { kind: 'not_modified' }
  | { kind: 'unknown_terminal' }
  | { kind: 'license_exhausted'; detail: string }
  | { kind: 'failed' };

/**
 * Configurations from the fastest healthy handler, failing over to the next one within the same
 * request, revalidated against the last-known-good copy on disk, which is served when no
 * handler answers.
 */
export class HandlerConfigSource implements ConfigSource {
  private readonly inFlight = new Map<string, Promise<BootConfig>>();
  private readonly served: Counter;
  private readonly upstreamErrors: Counter;

  constructor(
    private readonly pool: HandlerPool,
    private readonly cache: ConfigCache,
    private readonly options: HandlerConfigSourceOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.served = metrics.counter('relay_config_requests_total', 'Configuration requests by outcome (live, cache, unknown_terminal, ...).');
    this.upstreamErrors = metrics.counter('relay_upstream_errors_total', 'Failed requests to handlers, by handler and reason.');
  }

  getConfig(macText: string): Promise<BootConfig> {
    const mac = parseMac(macText);
    if (!mac) return Promise.reject(new ConfigError('invalid_mac', 400, `${JSON.stringify(macText)} is not a MAC address`));
    // Terminals booting at once ask for the same document over TFTP and HTTP: one upstream request.
    let pending = this.inFlight.get(mac);
    if (!pending) {
      pending = this.fetch(mac).finally(() => this.inFlight.delete(mac));
      this.inFlight.set(mac, pending);
    }
    return pending;
  }

  private async fetch(mac: string): Promise<BootConfig> {
    const cached = await this.cache.read(mac);
    let unknown = false;
    let licence: string | null = null;
    for (const url of this.pool.candidates()) {
      const attempt = await this.ask(url, mac, cached?.etag);
      if (attempt.kind === 'document') {
        this.served.inc({ outcome: 'live' });
        return attempt.config;
      }
      if (attempt.kind === 'not_modified' && cached) {
        const config: BootConfig = { document: cached.document, etag: cached.etag, source: 'live', handler: url, fetchedAt: new Date().toISOString() };
        // Confirmed unchanged: note it on disk now and then, not on every boot (each write is fsynced).
        if (cached.handler !== url || Date.now() - Date.parse(cached.fetchedAt) > CONFIRMATION_REWRITE_MS) {
          await this.cache.write({ mac, etag: cached.etag, fetchedAt: config.fetchedAt, handler: url, document: cached.document }).catch((error) => {
            this.log.warn('config_cache_write_failed', { mac, error });
          });
        }
        this.options.onLiveDocument?.(cached.document);
        this.served.inc({ outcome: 'live' });
        return config;
      }
      if (attempt.kind === 'unknown_terminal') unknown = true;
      if (attempt.kind === 'license_exhausted') licence = attempt.detail;
    }
    if (unknown) {
      // A handler that answered says the terminal does not exist: a removed terminal must not boot from a stale copy.
      if (cached) {
        await this.cache.remove(mac);
        this.log.info('config_cache_dropped', { mac, reason: 'unknown_terminal' });
      }
      this.served.inc({ outcome: 'unknown_terminal' });
      throw new ConfigError('unknown_terminal', 404, `terminal ${mac} is not known to the handlers`);
    }
    if (licence !== null) {
      this.served.inc({ outcome: 'license_exhausted' });
      throw new ConfigError('license_exhausted', 403, licence);
    }
    if (cached) {
      this.log.warn('config_served_from_cache', { mac, etag: cached.etag, fetchedAt: cached.fetchedAt, handler: cached.handler });
      this.served.inc({ outcome: 'cache' });
      return { document: cached.document, etag: cached.etag, source: 'cache', handler: cached.handler, fetchedAt: cached.fetchedAt };
    }
    this.served.inc({ outcome: 'no_configuration' });
    this.log.error('config_unavailable', { mac, reason: 'no handler answered and no configuration is cached' });
    throw new ConfigError('no_configuration', 503, `no handler answered and the relay holds no configuration for ${mac}`);
  }

  private async ask(url: string, mac: string, etag: string | undefined): Promise<Attempt> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-tandem-relay': this.options.relayId };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (etag) headers['if-none-match'] = etag;
    const started = performance.now();
    const fail = (reason: string, detail?: unknown): Attempt => {
      this.pool.failed(url, reason);
      this.upstreamErrors.inc({ handler: url, reason });
      this.log.warn('handler_request_failed', { handler: url, mac, reason, detail });
      return { kind: 'failed' };
    };
    let res: HandlerResponse;
    let body: string;
    try {
      res = await this.pool.fetch(`${url}/api/v1/boot/terminals/${encodeURIComponent(mac)}`, {
        headers,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      body = await res.text();
    } catch (error) {
      return fail(describeFetchError(error));
    }
    const rtt = performance.now() - started;
    if (res.status === 304) {
      this.pool.succeeded(url, rtt);
      return { kind: 'not_modified' };
    }
    if (res.status === 200) {
      let document: BootDocument;
      try {
        const parsed = bootDocumentSchema.safeParse(JSON.parse(body));
        if (!parsed.success) return fail('invalid_document', parsed.error.issues.slice(0, 3));
        document = parsed.data;
      } catch {
        return fail('invalid_json');
      }
      this.pool.succeeded(url, rtt);
      const strong = res.headers.get('etag');
      const tag = strong && !strong.startsWith('W/') ? strong : `"${createHash('sha256').update(body).digest('base64url')}"`;
      const config: BootConfig = { document, etag: tag, source: 'live', handler: url, fetchedAt: new Date().toISOString() };
      try {
        await this.cache.write({ mac, etag: tag, fetchedAt: config.fetchedAt, handler: url, document });
      } catch (error) {
        this.log.error('config_cache_write_failed', { mac, error });
      }
      this.options.onLiveDocument?.(document);
      return { kind: 'document', config };
    }
    const problem = parseProblem(body);
    if (res.status === 404 && problem?.code === 'unknown_terminal') {
      this.pool.succeeded(url, rtt);
      return { kind: 'unknown_terminal' };
    }
    if (res.status === 403 && problem?.code === 'redundancy_not_licensed') {
      this.pool.refusedBoots(url, 'redundancy_not_licensed');
      this.upstreamErrors.inc({ handler: url, reason: 'redundancy_not_licensed' });
      this.log.warn('handler_refuses_boots', { handler: url, reason: 'redundancy_not_licensed', detail: problem.detail });
      return { kind: 'failed' };
    }
    if (res.status === 403 && problem?.code === 'license_exhausted') {
      this.pool.succeeded(url, rtt);
      return { kind: 'license_exhausted', detail: problem.detail ?? 'no terminal licence is free' };
    }
    if (res.status === 401 || res.status === 403) {
      this.log.error('handler_rejected_relay_token', { handler: url, status: res.status, code: problem?.code, detail: problem?.detail });
      return fail(`auth_${res.status}`, problem?.code);
    }
    return fail(`http_${res.status}`, problem?.code ?? body.slice(0, 200));
  }
}

/** The problem document (RFC 9457) a handler answered, or null. */
export function parseProblem(body: string): { code?: string; detail?: string } | null {
  try {
    const value = JSON.parse(body) as unknown;
    return value && typeof value === 'object' ? (value as { code?: string; detail?: string }) : null;
  } catch {
    return null;
  }
}
