import { describe, expect, it } from 'vitest';
import * as K from './kernels/constants.ts';
import { baseScore, fastExp, logLoss } from './objective.ts';

const TAYLOR = [K.C0, K.C1, K.C2, K.C3, K.C4, K.C5, K.C6, K.C7, K.C8, K.C9, K.C10, K.C11];

describe('logistic objective', () => {
  it('fastExp matches Math.exp to ~1e-13; its Taylor coefficients are 1/n!', () => {
    for (let x = -60; x <= 60; x += 0.37) expect(Math.abs(fastExp(x) / Math.exp(x) - 1)).toBeLessThan(1e-13);
    expect(fastExp(0)).toBe(1);
    let factorial = 1;
    TAYLOR.forEach((c, n) => {
      factorial *= Math.max(1, n);
      expect(c).toBe(1 / factorial);
    });
  });

  it('base score is the log-odds of the label mean', () => {
    expect(baseScore(Uint8Array.from([1, 0, 0, 0]))).toBeCloseTo(Math.log(1 / 3), 12);
  });

  it('log loss', () => {
    expect(logLoss(Uint8Array.from([1, 0]), Float64Array.from([0, 0]))).toBeCloseTo(Math.log(2), 12);
  });
});
