import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aucFromBuckets, bucketCounts, budgetFromBuckets, histogramQuantile, qualityFromBuckets } from './bucketed.ts';
import { alertBudget, auc } from './classification.ts';
import { psi, psiFromCounts } from './drift.ts';

/** Scores on a grid of 1/20, and buckets with one grid value each: bucketing loses nothing. */
const gridRows = fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { minLength: 1, maxLength: 300 });
const GRID = Array.from({ length: 21 }, (_, i) => i / 20);

function split(rows: [number, boolean][]) {
  const scores = Float64Array.from(rows, ([g]) => g / 20);
  const labels = Uint8Array.from(rows, ([, d]) => (d ? 1 : 0));
  const positives = bucketCounts(
    GRID,
    scores.filter((_, i) => labels[i] === 1),
  );
  const negatives = bucketCounts(
    GRID,
    scores.filter((_, i) => labels[i] === 0),
  );
  return { scores, labels, buckets: { positives, negatives } };
}

describe('quality from score buckets', () => {
  it('gives the exact AUC when every distinct score has its own bucket (ties count half on both sides)', () => {
    fc.assert(
      fc.property(gridRows, (rows) => {
        const { scores, labels, buckets } = split(rows);
        const exact = auc(labels, scores);
        const bucketed = aucFromBuckets(buckets);
        if (Number.isNaN(exact)) expect(bucketed).toBeNaN();
        else expect(bucketed).toBeCloseTo(exact, 12);
      }),
    );
  });

  it('gives the exact recall and precision at the budget when the cut falls between buckets', () => {
    // 10 rows, one per bucket: the top 20% are the two highest buckets.
    const labels = Uint8Array.of(0, 1, 0, 0, 1, 0, 0, 1, 1, 0);
    const scores = Float64Array.from(labels, (_, i) => (i + 1) / 20);
    const buckets = split(Array.from(labels, (l, i) => [i + 1, l === 1] as [number, boolean])).buckets;
    const exact = alertBudget(labels, scores, 0.2);
    expect(budgetFromBuckets(buckets, 0.2)).toEqual({ recall: exact.recall, precision: exact.precision });
    expect(budgetFromBuckets(buckets, 0.2)).toEqual({ recall: 1 / 4, precision: 1 / 2 });
  });

  it('takes a proportional share of the bucket the cut falls in', () => {
    // 10 rows: 5 in the top bucket (2 delayed), 5 below (no delay); 20% = 2 rows from the top bucket.
    const q = budgetFromBuckets({ positives: [0, 2], negatives: [5, 3] }, 0.2);
    expect(q.precision).toBeCloseTo(0.4, 12);
    expect(q.recall).toBeCloseTo(0.4, 12);
  });

  it('is NaN where the figure is undefined, and refuses mismatched or negative counts', () => {
    expect(qualityFromBuckets({ positives: [0, 0], negatives: [0, 0] })).toMatchObject({
      rows: 0,
      auc: Number.NaN,
      recallAtBudget: Number.NaN,
    });
    expect(aucFromBuckets({ positives: [0, 0], negatives: [1, 2] })).toBeNaN();
    expect(() => aucFromBuckets({ positives: [1], negatives: [1, 2] })).toThrow(/1 positive buckets but 2/);
    expect(() => aucFromBuckets({ positives: [-1], negatives: [1] })).toThrow(/bucket 0/);
  });
});

describe('psiFromCounts', () => {
  it('is the PSI of the shares the counts make', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 2, maxLength: 12 }), (counts) => {
        fc.pre(counts.some((c) => c > 0));
        const total = counts.reduce((a, b) => a + b, 0);
        const reference = { feature: 'x', edges: counts.map((_, i) => i), shares: counts.map(() => 1 / counts.length) };
        expect(psiFromCounts(reference.shares, counts)).toBeCloseTo(
          psi(
            reference,
            counts.map((c) => c / total),
          ),
          12,
        );
      }),
    );
    expect(psiFromCounts([0.5, 0.5], [0, 0])).toBeNaN();
    expect(psiFromCounts([0.5, 0.5], [5, 5])).toBe(0);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket, like Prometheus', () => {
    // 10 in (0, 1], 10 in (1, 2]: the median is 1, the 75th percentile 1.5.
    expect(histogramQuantile([1, 2], [10, 10, 0], 0.5)).toBe(1);
    expect(histogramQuantile([1, 2], [10, 10, 0], 0.75)).toBe(1.5);
    expect(histogramQuantile([1, 2], [0, 0, 5], 0.99)).toBe(2);
    expect(histogramQuantile([1, 2], [0, 0, 0], 0.5)).toBeNaN();
  });
});
