/**
 * A small Prometheus registry. Counters and gauges only; every worker of a cluster keeps its
 * own and the primary adds the snapshots up (see mergeSnapshots), so one scrape sees the relay.
 */
export type Labels = Record<string, string>;
type Kind = 'counter' | 'gauge';

export interface MetricSnapshot {
  name: string;
  help: string;
  kind: Kind;
  values: Array<[labels: string, value: number]>;
}

class Metric {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  dec(labels: Labels = {}, by = 1): void {
    this.inc(labels, -by);
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
}

export type Counter = Pick<Metric, 'inc' | 'get'>;
export type Gauge = Pick<Metric, 'inc' | 'dec' | 'set' | 'get'>;

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escape(labels[k])}"`)
    .join(',');
}

export class Metrics {
  private readonly metrics = new Map<string, Metric>();
  /** Called before each snapshot so gauges that mirror state can refresh. */
  private readonly collectors: Array<() => void> = [];

  counter(name: string, help: string): Counter {
    return this.metric(name, help, 'counter');
  }

  gauge(name: string, help: string): Gauge {
    return this.metric(name, help, 'gauge');
  }

  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  snapshot(): MetricSnapshot[] {
    for (const collect of this.collectors) collect();
    return [...this.metrics.values()].map((m) => ({ name: m.name, help: m.help, kind: m.kind, values: [...m.values] }));
  }

  render(): string {
    return renderSnapshots(this.snapshot());
  }

  private metric(name: string, help: string, kind: Kind): Metric {
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = new Metric(name, help, kind);
      this.metrics.set(name, metric);
    }
    return metric;
  }
}

/** Adds up the snapshots of several workers, metric by metric and label set by label set. */
export function mergeSnapshots(all: MetricSnapshot[][]): MetricSnapshot[] {
  const merged = new Map<string, MetricSnapshot & { byLabels: Map<string, number> }>();
  for (const snapshot of all) {
    for (const m of snapshot) {
      let target = merged.get(m.name);
      if (!target) {
        target = { ...m, values: [], byLabels: new Map() };
        merged.set(m.name, target);
      }
      for (const [labels, value] of m.values) target.byLabels.set(labels, (target.byLabels.get(labels) ?? 0) + value);
    }
  }
  return [...merged.values()].map(({ byLabels, ...m }) => ({ ...m, values: [...byLabels] }));
}

export function renderSnapshots(snapshots: MetricSnapshot[]): string {
  const lines: string[] = [];
  for (const m of snapshots) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.kind}`);
    for (const [labels, value] of m.values) lines.push(`${m.name}${labels ? `{${labels}}` : ''} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
