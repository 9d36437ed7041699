import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { familyLines, labelText, sampleLine } from '../domain/prometheus-text';

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
