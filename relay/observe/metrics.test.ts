import { describe, expect, it } from 'vitest';
import { mergeSnapshots, Metrics, renderSnapshots } from './metrics';

describe('metrics', () => {
  it('renders counters and gauges in the Prometheus text format, labels escaped', () => {
    const m = new Metrics();
    m.counter('relay_x_total', 'Things.').inc({ path: 'a"b' }, 2);
    m.gauge('relay_y', 'Level.').set({}, 3);
    expect(m.render()).toBe('# HELP relay_x_total Things.\n# TYPE relay_x_total counter\nrelay_x_total{path="a\\"b"} 2\n# HELP relay_y Level.\n# TYPE relay_y gauge\nrelay_y 3\n');
  });

  it('escapes backslash, quote and line feed in label values; writes NaN and infinities as the format spells them', () => {
    const m = new Metrics();
    m.gauge('relay_z', 'Z.').set({ path: 'a\\b\nc"d' }, Infinity);
    m.gauge('relay_w', 'W.').set({}, NaN);
    m.gauge('relay_v', 'V.').set({}, -Infinity);
    expect(m.render()).toContain('relay_z{path="a\\\\b\\nc\\"d"} +Inf\n');
    expect(m.render()).toContain('relay_w NaN\n');
    expect(m.render()).toContain('relay_v -Inf\n');
  });

  it('adds up workers: counters sum, states every worker measures do not', () => {
    const worker = (transfers: number, up: number, srtt: number) => {
      const m = new Metrics();
      m.counter('relay_tftp_transfers_total', 'T.').inc({ outcome: 'complete' }, transfers);
      m.gauge('relay_handler_up', 'U.', 'min').set({ handler: 'h' }, up);
      m.gauge('relay_handler_srtt_seconds', 'S.', 'avg').set({ handler: 'h' }, srtt);
      return m.snapshot();
    };
    const text = renderSnapshots(mergeSnapshots([worker(2, 1, 0.002), worker(3, 0, 0.004)]));
    expect(text).toContain('relay_tftp_transfers_total{outcome="complete"} 5');
    expect(text).toContain('relay_handler_up{handler="h"} 0');
    expect(text).toContain('relay_handler_srtt_seconds{handler="h"} 0.003');
  });
});
