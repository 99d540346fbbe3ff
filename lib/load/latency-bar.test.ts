import { describe, expect, it } from 'vitest';
import { latencyVerdict } from './latency-bar.ts';

describe('latencyVerdict', () => {
  it.each([
    // p99, control p99, service's own share over the bar, verdict
    [4.9, 1.2, 0, 'pass'],
    [5, 9, 0.02, 'pass'],
    [5.01, 1.2, 0, 'fail'],
    [16.4, 5, 0.003, 'fail'],
    [16.4, 6.5, 0.003, 'inconclusive'],
    [16.4, 6.5, 0.01, 'inconclusive'],
    [16.4, 6.5, Number.NaN, 'inconclusive'],
    [18.6, 9.3, 0.019, 'fail'],
    [Number.NaN, 6.5, 0, 'fail'],
    [16.4, Number.NaN, 0, 'fail'],
  ] as const)(
    'p99 %d ms, control %d ms, service over the bar for %d of answers, bar 5 ms: %s',
    (p99Ms, controlP99Ms, serviceOverShare, verdict) => {
      expect(latencyVerdict({ p99Ms, controlP99Ms, serviceOverShare, barMs: 5 })).toBe(verdict);
    },
  );
});
