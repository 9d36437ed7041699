import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

/*
 * The Prometheus text format (0.0.4), written here once for the handler and the relay
 * (relay/observe/metrics.ts). Not prom-client, though it bundles and runs on Workers under
 * nodejs_compat: its metrics are read only asynchronously (`await registry.metrics()`), while
 * render() here and the relay's snapshot() are read synchronously by their callers; and it records
 * a request no faster (about 1 µs either way, against a request of some 200 µs).
 */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** A label value as the format quotes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : value;
}

/** `name="value",…` in the order given, values escaped. */
export function labelText(labels: Record<string, string | number>): string {
  let text = '';
  for (const name in labels) text += `${text ? ',' : ''}${name}="${escapeLabelValue(String(labels[name]))}"`;
  return text;
}

/** The HELP and TYPE lines that open a metric family. */
export function familyLines(name: string, help: string, kind: MetricKind): [string, string] {
  return [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${kind}`];
}

/** One sample; `labels` as labelText writes them ('' for none). NaN and the infinities as the format spells them. */
export function sampleLine(name: string, labels: string, value: number): string {
  const text = Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);
  return `${name}${labels ? `{${labels}}` : ''} ${text}`;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BUCKET_LABELS = BUCKETS.map((bound) => `le="${bound}"`);

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/** Request counts and latency histograms per route, in Prometheus text format. */
export class RequestMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Series>();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const latencyKey = labelText({ method, route });
    const key = `${latencyKey},status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let series = this.latency.get(latencyKey);
    if (!series) this.latency.set(latencyKey, (series = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) }));
    series.count++;
    series.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) series.buckets[i]++;
  }

  /** A value read when scraped (leases in use, sync lag, …). */
  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  render(): string {
    const lines = familyLines('tandem_http_requests_total', 'HTTP requests by route and status.', 'counter');
    for (const [labels, n] of this.requests) lines.push(sampleLine('tandem_http_requests_total', labels, n));
    const latency = 'tandem_http_request_duration_seconds';
    lines.push(...familyLines(latency, 'HTTP request latency by route.', 'histogram'));
    for (const [labels, s] of this.latency) {
      BUCKET_LABELS.forEach((le, i) => lines.push(sampleLine(`${latency}_bucket`, `${labels},${le}`, s.buckets[i])));
      lines.push(sampleLine(`${latency}_bucket`, `${labels},le="+Inf"`, s.count));
      lines.push(sampleLine(`${latency}_sum`, labels, s.sum));
      lines.push(sampleLine(`${latency}_count`, labels, s.count));
    }
    for (const [name, g] of this.gauges) lines.push(...familyLines(name, g.help, 'gauge'), sampleLine(name, '', g.read()));
    return lines.join('\n') + '\n';
  }

  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const route = routePath(c, -1) || 'unmatched';
        this.observe(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
      }
    };
  }
}
