/**
 * Quality figures from bucketed counts — what a Prometheus histogram or a set of bin
 * counters holds after summing across replicas — so the service's dashboard, the monitor and tests
 * compute them one way. Counts are per bucket (not cumulative); bucket i holds scores in
 * (upper[i-1], upper[i]], the last bucket everything above the last upper bound.
 *
 * Within a bucket scores are unknown, so positives and negatives are taken as evenly mixed: AUC
 * counts pairs in one bucket as ties (half), and the budget cut takes a proportional share of the
 * bucket it falls in. `bench/monitoring.ts` measures the error of this against exact figures on
 * real scores.
 */
import { budgetCount } from './classification.ts';
import { firstAtLeast } from './drift.ts';

export interface OutcomeBuckets {
  /** Rows with the real outcome delayed, per score bucket. */
  positives: ArrayLike<number>;
  /** Rows not delayed, per score bucket (same buckets). */
  negatives: ArrayLike<number>;
}

export interface BucketedQuality {
  rows: number;
  positives: number;
  /** NaN with one class only. */
  auc: number;
  /** Recall and precision when the riskiest `budget` share of rows is flagged (NaN on no rows / no positives). */
  recallAtBudget: number;
  precisionAtBudget: number;
}

function totals(b: OutcomeBuckets): { positives: number; negatives: number } {
  if (b.positives.length !== b.negatives.length)
    throw new Error(`${b.positives.length} positive buckets but ${b.negatives.length} negative buckets`);
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < b.positives.length; i++) {
    const p = b.positives[i];
    const n = b.negatives[i];
    if (!(p >= 0 && n >= 0)) throw new Error(`bucket ${i} has counts ${p} / ${n}; counts must be ≥ 0`);
    positives += p;
    negatives += n;
  }
  return { positives, negatives };
}

/** ROC AUC from score buckets; a positive and a negative in the same bucket count as a tie. */
export function aucFromBuckets(b: OutcomeBuckets): number {
  const { positives, negatives } = totals(b);
  if (positives === 0 || negatives === 0) return Number.NaN;
  let pairs = 0;
  let negativesBelow = 0;
  for (let i = 0; i < b.positives.length; i++) {
    pairs += b.positives[i] * (negativesBelow + b.negatives[i] / 2);
    negativesBelow += b.negatives[i];
  }
  return pairs / (positives * negatives);
}

/** Recall and precision when the riskiest `budget` share of all rows is flagged. */
export function budgetFromBuckets(b: OutcomeBuckets, budget = 0.2): { recall: number; precision: number } {
  const { positives, negatives } = totals(b);
  const flagged = budgetCount(positives + negatives, budget);
  if (flagged === 0) return { recall: Number.NaN, precision: Number.NaN };
  let left = flagged;
  let caught = 0;
  for (let i = b.positives.length - 1; i >= 0 && left > 0; i--) {
    const inBucket = b.positives[i] + b.negatives[i];
    if (inBucket === 0) continue;
    const share = Math.min(1, left / inBucket);
    caught += b.positives[i] * share;
    left -= inBucket * share;
  }
  return { recall: positives > 0 ? caught / positives : Number.NaN, precision: caught / flagged };
}

export function qualityFromBuckets(b: OutcomeBuckets, budget = 0.2): BucketedQuality {
  const { positives, negatives } = totals(b);
  const { recall, precision } = budgetFromBuckets(b, budget);
  return {
    rows: positives + negatives,
    positives,
    auc: aucFromBuckets(b),
    recallAtBudget: recall,
    precisionAtBudget: precision,
  };
}

/** Per-bucket counts of `scores` into buckets with these upper bounds (plus one bucket above the last). */
export function bucketCounts(upper: readonly number[], scores: ArrayLike<number>, out?: Float64Array): Float64Array {
  const counts = out ?? new Float64Array(upper.length + 1);
  for (let i = 0; i < scores.length; i++) counts[firstAtLeast(upper, scores[i])]++;
  return counts;
}

/**
 * The q-quantile of per-bucket counts with these upper bounds (the last bucket, above them all, is
 * open), interpolating linearly inside the bucket as Prometheus's histogram_quantile does; NaN on no
 * counts, the last bound when the quantile falls in the open bucket.
 */
export function histogramQuantile(upper: readonly number[], counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    if (below + counts[i] >= rank && counts[i] > 0) {
      if (i >= upper.length) return upper[upper.length - 1];
      const lower = i === 0 ? 0 : upper[i - 1];
      return lower + ((upper[i] - lower) * (rank - below)) / counts[i];
    }
    below += counts[i];
  }
  return upper[upper.length - 1];
}
