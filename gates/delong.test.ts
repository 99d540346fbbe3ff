import { describe, expect, it } from 'vitest';
import { pairedBootstrap } from '../lib/metrics/bootstrap.ts';
import { auc } from '../lib/metrics/classification.ts';
import { midranks, pairedAucDelong } from './delong.ts';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('pairedAucDelong', () => {
  it('gives the same AUCs as the metrics module, ties included', () => {
    const labels = Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 0]);
    const a = [0.9, 0.1, 0.5, 0.5, 0.3, 0.8, 0.2, 0.5];
    const b = [0.2, 0.2, 0.2, 0.2, 0.9, 0.1, 0.3, 0.4];
    const t = pairedAucDelong(labels, a, b);
    expect(t.a).toBeCloseTo(auc(labels, a), 12);
    expect(t.b).toBeCloseTo(auc(labels, b), 12);
    expect(t.delta).toBeCloseTo(t.a - t.b, 12);
    expect(t.lo).toBeLessThan(t.delta);
    expect(t.hi).toBeGreaterThan(t.delta);
  });

  it('has a standard error close to the paired bootstrap on correlated models', () => {
    const random = lcg(5);
    const n = 20_000;
    const labels = new Uint8Array(n);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const risk = random();
      labels[i] = random() < 0.1 + 0.3 * risk ? 1 : 0;
      a[i] = risk + 0.3 * random();
      b[i] = risk + 0.45 * random();
    }
    const delong = pairedAucDelong(labels, a, b);
    const boot = pairedBootstrap(labels, a, b, { metric: 'auc', iterations: 1000, seed: 3 });
    expect(delong.delta).toBeCloseTo(boot.delta, 10);
    const bootWidth = boot.hi - boot.lo;
    const delongWidth = delong.hi - delong.lo;
    expect(delongWidth / bootWidth).toBeGreaterThan(0.85);
    expect(delongWidth / bootWidth).toBeLessThan(1.15);
  });

  it('is zero-width for identical scores and NaN with one class', () => {
    const labels = Uint8Array.from([1, 0, 1, 0]);
    const s = [0.4, 0.3, 0.9, 0.1];
    expect(pairedAucDelong(labels, s, s)).toMatchObject({ delta: 0, se: 0 });
    expect(pairedAucDelong(Uint8Array.from([1, 1]), [0.1, 0.2], [0.3, 0.4]).delta).toBeNaN();
  });
});

describe('midranks', () => {
  it('averages the ranks of ties', () => {
    expect(Array.from(midranks([3, 1, 3, 2]))).toEqual([3.5, 1, 3.5, 2]);
  });
});
