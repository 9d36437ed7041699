import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

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
    const key = `method="${method}",route="${escape(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const latencyKey = `method="${method}",route="${escape(route)}"`;
    let series = this.latency.get(latencyKey);
    if (!series) this.latency.set(latencyKey, (series = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) }));
    series.count++;
    series.sum += seconds;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) series.buckets[i]++;
    });
  }

  /** A value read when scraped (leases in use, sync lag, …). */
  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  render(): string {
    const lines = ['# HELP tandem_http_requests_total HTTP requests by route and status.', '# TYPE tandem_http_requests_total counter'];
    for (const [labels, n] of this.requests) lines.push(`tandem_http_requests_total{${labels}} ${n}`);
    lines.push('# HELP tandem_http_request_duration_seconds HTTP request latency by route.', '# TYPE tandem_http_request_duration_seconds histogram');
    for (const [labels, s] of this.latency) {
      BUCKETS.forEach((bound, i) => lines.push(`tandem_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${s.buckets[i]}`));
      lines.push(`tandem_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      lines.push(`tandem_http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      lines.push(`tandem_http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    for (const [name, g] of this.gauges) {
      lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.read()}`);
    }
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

const escape = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
