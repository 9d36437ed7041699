import { escapeLabelValue, familyLines, sampleLine } from '../../functions/domain/prometheus-text';

/**
 * A small Prometheus registry. Counters and gauges only; every worker of a cluster keeps its
 * own and the primary adds the snapshots up (see mergeSnapshots), so one scrape sees the relay.
 * Written out by the handler's writer of the text format (functions/http/metrics.ts). Not
 * prom-client's AggregatorRegistry: a worker answers the primary's collection call with
 * snapshot() at once (relay/cluster.ts), and prom-client reads its metrics only asynchronously.
 */
export type Labels = Record<string, string>;
type Kind = 'counter' | 'gauge';
/** How workers' values add up: counters and most gauges sum; a state every worker measures does not. */
export type Merge = 'sum' | 'min' | 'max' | 'avg';

export interface MetricSnapshot {
  name: string;
  help: string;
  kind: Kind;
  merge?: Merge;
  values: Array<[labels: string, value: number]>;
}

class Metric {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
    readonly merge: Merge = 'sum',
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

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabelValue(labels[k])}"`)
    .join(',');
}

export class Metrics {
  private readonly metrics = new Map<string, Metric>();
  /** Called before each snapshot so gauges that mirror state can refresh. */
  private readonly collectors: Array<() => void> = [];

  counter(name: string, help: string): Counter {
    return this.metric(name, help, 'counter');
  }

  gauge(name: string, help: string, merge: Merge = 'sum'): Gauge {
    return this.metric(name, help, 'gauge', merge);
  }

  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  snapshot(): MetricSnapshot[] {
    for (const collect of this.collectors) collect();
    return [...this.metrics.values()].map((m) => ({ name: m.name, help: m.help, kind: m.kind, merge: m.merge, values: [...m.values] }));
  }

  render(): string {
    return renderSnapshots(this.snapshot());
  }

  private metric(name: string, help: string, kind: Kind, merge: Merge = 'sum'): Metric {
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = new Metric(name, help, kind, merge);
      this.metrics.set(name, metric);
    }
    return metric;
  }
}

/** Adds up the snapshots of several workers, metric by metric and label set by label set. */
export function mergeSnapshots(all: MetricSnapshot[][]): MetricSnapshot[] {
  const merged = new Map<string, MetricSnapshot & { byLabels: Map<string, number[]> }>();
  for (const snapshot of all) {
    for (const m of snapshot) {
      let target = merged.get(m.name);
      if (!target) {
        target = { ...m, values: [], byLabels: new Map() };
        merged.set(m.name, target);
      }
      for (const [labels, value] of m.values) target.byLabels.set(labels, [...(target.byLabels.get(labels) ?? []), value]);
    }
  }
  const combine = (merge: Merge | undefined, values: number[]) => {
    switch (merge) {
      case 'min':
        return Math.min(...values);
      case 'max':
        return Math.max(...values);
      case 'avg':
        return values.reduce((a, b) => a + b, 0) / values.length;
      default:
        return values.reduce((a, b) => a + b, 0);
    }
  };
  return [...merged.values()].map(({ byLabels, ...m }) => ({ ...m, values: [...byLabels].map(([labels, values]) => [labels, combine(m.merge, values)] as [string, number]) }));
}

export function renderSnapshots(snapshots: MetricSnapshot[]): string {
  const lines: string[] = [];
  for (const m of snapshots) {
    lines.push(...familyLines(m.name, m.help, m.kind));
    for (const [labels, value] of m.values) lines.push(sampleLine(m.name, labels, value));
  }
  return `${lines.join('\n')}\n`;
}
