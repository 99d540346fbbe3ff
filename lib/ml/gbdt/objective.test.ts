import { describe, expect, it } from 'vitest';
import { recordLayout } from './histogram.ts';
import { baseScore, computeGradients, fastExp, gradientScale, logLoss } from './objective.ts';

describe('logistic objective', () => {
  it('fastExp matches Math.exp to ~1e-13', () => {
    for (let x = -60; x <= 60; x += 0.37) expect(Math.abs(fastExp(x) / Math.exp(x) - 1)).toBeLessThan(1e-13);
    expect(fastExp(0)).toBe(1);
  });

  it('base score is the log-odds of the label mean', () => {
    expect(baseScore(Uint8Array.from([1, 0, 0, 0]))).toBeCloseTo(Math.log(1 / 3), 12);
  });

  it('quantised gradients and hessians', () => {
    const rec = recordLayout(2);
    const buffer = new ArrayBuffer(2 * rec.bytes);
    const u8 = new Uint8Array(buffer);
    const i32 = new Int32Array(buffer);
    const f64 = new Float64Array(buffer);
    u8[rec.labelByte] = 1;
    f64[rec.scoreSlot] = 0; // p = 0.5, y = 1
    u8[rec.bytes + rec.labelByte] = 0;
    f64[rec.bytes / 8 + rec.scoreSlot] = 40; // p ≈ 1, y = 0: hessian clamps to one quantum
    const scale = gradientScale(2);
    expect(scale).toBe(2 ** 30);
    const sums = new Float64Array(2);
    computeGradients(u8, i32, f64, rec, 0, 2, scale, sums);
    expect(i32[rec.gWord]).toBe(-(2 ** 29));
    expect(i32[rec.gWord + 1]).toBe(2 ** 28);
    expect(i32[rec.words + rec.gWord]).toBe(2 ** 30);
    expect(i32[rec.words + rec.gWord + 1]).toBe(1);
    expect(sums[0]).toBe(2 ** 30 - 2 ** 29);
  });

  it('log loss', () => {
    expect(logLoss(Uint8Array.from([1, 0]), Float64Array.from([0, 0]))).toBeCloseTo(Math.log(2), 12);
  });
});
