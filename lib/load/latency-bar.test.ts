import { describe, expect, it } from 'vitest';
import { latencyVerdict } from './latency-bar.ts';

describe('latencyVerdict', () => {
  it.each([
    // p99, control p99, verdict
    [4.9, 1.2, 'pass'],
    [5, 9, 'pass'],
    [5.01, 1.2, 'fail'],
    [16.4, 5, 'fail'],
    [16.4, 6.5, 'inconclusive'],
    [Number.NaN, 6.5, 'fail'],
    [16.4, Number.NaN, 'fail'],
  ] as const)('p99 %d ms with the control at %d ms against a 5 ms bar: %s', (p99Ms, controlP99Ms, verdict) => {
    expect(latencyVerdict({ p99Ms, controlP99Ms, barMs: 5 })).toBe(verdict);
  });
});
