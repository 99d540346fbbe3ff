import { describe, expect, it } from 'vitest';
import { createRandom } from '../util/random.ts';
import { OTHER_CATEGORY, categoricalDistribution, psi, referenceDistribution, sharesFor } from './drift.ts';

describe('referenceDistribution', () => {
  it('gives a low-cardinality integer feature one bin per value', () => {
    const weekdays = Array.from({ length: 700 }, (_, i) => i % 7);
    const reference = referenceDistribution('weekday', weekdays);
    expect(reference.edges).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(reference.shares).toEqual(new Array(7).fill(0.1 * (10 / 7)).map((s) => expect.closeTo(s, 12)));
  });

  it('uses quantile edges for a continuous feature', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 0.5);
    const reference = referenceDistribution('distance', values);
    expect(reference.edges).toEqual([99.5, 199.5, 299.5, 399.5, 499.5, 599.5, 699.5, 799.5, 899.5, 999.5]);
    expect(reference.shares).toEqual(new Array(10).fill(0.1));
  });

  it('merges quantile bins that coincide on heavily tied values', () => {
    const values = [...new Array(900).fill(1.5), ...Array.from({ length: 100 }, (_, i) => 2 + i)];
    const reference = referenceDistribution('x', values);
    expect(reference.edges).toEqual([1.5, 101]);
    expect(reference.shares).toEqual([0.9, 0.1]);
  });

  it('rejects empty and non-finite input naming the feature', () => {
    expect(() => referenceDistribution('distance', [])).toThrow('reference distribution of distance: no values');
    expect(() => referenceDistribution('distance', [1, Number.NaN])).toThrow(
      'reference distribution of distance: value 1 is NaN',
    );
  });
});

describe('sharesFor', () => {
  it('puts values beyond the edges into the end bins', () => {
    const reference = { feature: 'x', edges: [10, 20, 30], shares: [1 / 3, 1 / 3, 1 / 3] };
    expect(sharesFor(reference, [-5, 10, 10.5, 20, 31, 1000])).toEqual([2 / 6, 2 / 6, 2 / 6]);
    expect(sharesFor(reference, [])).toEqual([0, 0, 0]);
  });
});

describe('categoricalDistribution', () => {
  it('keeps the top keys and pools the rest, including unseen keys, in the other bin', () => {
    const keys = ['ORD', 'ORD', 'ORD', 'ATL', 'ATL', 'DEN', 'BOS'];
    const reference = categoricalDistribution('origin', keys, 2);
    expect(reference.categories).toEqual(['ORD', 'ATL', OTHER_CATEGORY]);
    expect(reference.shares).toEqual([3 / 7, 2 / 7, 2 / 7]);
    expect(sharesFor(reference, ['ATL', 'ZZZ', 'SFO', 'ORD'])).toEqual([0.25, 0.25, 0.5]);
  });
});

describe('psi', () => {
  const random = createRandom(5);
  const normal = (shift: number) =>
    Float64Array.from(
      { length: 20_000 },
      () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) + shift,
    );
  const reference = referenceDistribution('x', normal(0));

  it('is 0 for the reference sample itself and small for a fresh sample of the same distribution', () => {
    expect(psi(reference, reference.shares)).toBe(0);
    expect(psi(reference, sharesFor(reference, normal(0)))).toBeLessThan(0.01);
  });

  it('is large for a shifted distribution', () => {
    expect(psi(reference, sharesFor(reference, normal(1)))).toBeGreaterThan(0.5);
  });

  it('stays finite when a bin is empty and rejects mismatched bins', () => {
    const value = psi({ feature: 'x', edges: [1, 2], shares: [0.5, 0.5] }, [1, 0]);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(1);
    expect(() => psi(reference, [1])).toThrow(
      `PSI of x: 1 actual shares for ${reference.shares.length} reference bins`,
    );
  });
});
