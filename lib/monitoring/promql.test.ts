import { describe, expect, it } from 'vitest';
import { durationMs, formatDuration, inlineRecorded, scaleDurations, selectedMetrics, withRange } from './promql.ts';

describe('selectedMetrics', () => {
  it('finds every selected metric, in ranges, subqueries, offsets, functions and __name__ matchers', () => {
    const expr = `sum by (job) (rate(a_total{x="1"}[5m] offset 1h)) / on () group_left max_over_time(b[1h:5m])
      > time() - c and absent(up{job="t"}) and histogram_quantile(0.9, sum by (le) (rate(d_bucket[5m])))
      and {__name__="e"} and taxiway:rec:rate5m`;
    expect([...selectedMetrics(expr)].sort()).toEqual([
      'a_total',
      'b',
      'c',
      'd_bucket',
      'e',
      'taxiway:rec:rate5m',
      'up',
    ]);
  });

  it('refuses what does not parse, naming where', () => {
    expect(() => selectedMetrics('sum(rate(a[5m])')).toThrow(/does not parse/);
  });
});

describe('durations', () => {
  it('reads and writes Prometheus durations', () => {
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('250ms')).toBe(250);
    expect(() => durationMs('5 minutes')).toThrow(/not a Prometheus duration/);
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(86_400_000 * 2)).toBe('2d');
  });

  it('scales every range, subquery and offset of an expression, and nothing else', () => {
    expect(scaleDurations('rate(a[1h]) > 60 and max_over_time(b[6h:5m] offset 1d) > c_5m', 60)).toBe(
      'rate(a[1m]) > 60 and max_over_time(b[6m:5s] offset 24m) > c_5m',
    );
  });
});

describe('inlineRecorded and withRange', () => {
  it('replaces recorded series by their expressions, recursively, and sets every window', () => {
    const recorded = new Map([
      ['r:share', 'sum by (k) (increase(c_total[1h])) / ignoring (k) group_left sum(increase(c_total[1h]))'],
      ['r:psi', 'sum(r:share * 2)'],
    ]);
    const inlined = inlineRecorded('r:psi > 0.25', recorded);
    expect(inlined).toBe(
      '(sum((sum by (k) (increase(c_total[1h])) / ignoring (k) group_left sum(increase(c_total[1h]))) * 2)) > 0.25',
    );
    expect(withRange(inlined, 90_000)).toContain('increase(c_total[1m30s])');
    expect(selectedMetrics(inlined)).toEqual(new Set(['c_total']));
  });
});
