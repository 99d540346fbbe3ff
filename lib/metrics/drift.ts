/**
 * Reference histograms of the training window and the population stability index (PSI) of live
 * traffic against them.
 *
 * Numeric bins: `edges[i]` is the inclusive upper edge of bin i; values below the first edge fall
 * in bin 0 and values above the last edge in the last bin, so every value has a bin.
 * Categorical bins: `categories` are the top keys plus OTHER_CATEGORY for everything else.
 */
import type { ReferenceDistribution } from '../registry/card.ts';

export const OTHER_CATEGORY = '(other)';
/** Shares are floored at this before PSI, so an empty bin gives a large but finite term. */
export const PSI_EPSILON = 1e-4;

/**
 * Histogram of a numeric feature. Integer-valued features with at most `bins` distinct values get
 * one bin per value; others get up to `bins` quantile bins (fewer when quantiles coincide).
 */
export function referenceDistribution(feature: string, values: ArrayLike<number>, bins = 10): ReferenceDistribution {
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`reference distribution of ${feature}: bins must be a positive integer, got ${bins}`);
  const n = values.length;
  if (n === 0) throw new Error(`reference distribution of ${feature}: no values`);
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`reference distribution of ${feature}: value ${i} is ${v}`);
    sorted[i] = v;
  }
  sorted.sort();
  const distinct: number[] = [];
  let integers = true;
  for (let i = 0; i < n && distinct.length <= bins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    if (!Number.isInteger(sorted[i])) integers = false;
  }
  let edges: number[];
  if (integers && distinct.length <= bins) {
    edges = distinct;
  } else {
    edges = [];
    for (let b = 1; b <= bins; b++) {
      // Upper edge of bin b: the value at the (b/bins) quantile (nearest rank).
      const edge = sorted[Math.max(0, Math.ceil((b / bins) * n) - 1)];
      if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
    }
  }
  const reference: ReferenceDistribution = { feature, edges, shares: [] };
  reference.shares = sharesFor(reference, sorted);
  return reference;
}

/** Shares of the `topN` most frequent keys (ties by key) plus OTHER_CATEGORY for the rest. */
export function categoricalDistribution(feature: string, keys: readonly string[], topN = 20): ReferenceDistribution {
  if (!Number.isInteger(topN) || topN < 1)
    throw new Error(`categorical distribution of ${feature}: topN must be a positive integer, got ${topN}`);
  if (keys.length === 0) throw new Error(`categorical distribution of ${feature}: no values`);
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  counts.delete(OTHER_CATEGORY);
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, topN)
    .map(([key]) => key);
  const reference: ReferenceDistribution = { feature, categories: [...top, OTHER_CATEGORY], shares: [] };
  reference.shares = sharesFor(reference, keys);
  return reference;
}

/** Shares of `values` in the reference's bins (all zeros when there are no values). */
export function sharesFor(reference: ReferenceDistribution, values: ArrayLike<number> | readonly string[]): number[] {
  const n = values.length;
  if (reference.categories) {
    const { categories } = reference;
    const other = categories.indexOf(OTHER_CATEGORY);
    const index = new Map(categories.map((key, i) => [key, i]));
    const counts = new Array<number>(categories.length).fill(0);
    for (let i = 0; i < n; i++) {
      const value = values[i];
      if (typeof value !== 'string') throw new Error(`${reference.feature} is categorical; value ${i} is not a string`);
      const bin = index.get(value) ?? other;
      if (bin < 0)
        throw new Error(
          `${reference.feature}: value ${JSON.stringify(value)} is not a reference category and there is no ${OTHER_CATEGORY} bin`,
        );
      counts[bin]++;
    }
    return counts.map((c) => (n === 0 ? 0 : c / n));
  }
  const edges = reference.edges;
  if (!edges || edges.length === 0)
    throw new Error(`reference distribution of ${reference.feature} has neither edges nor categories`);
  const counts = new Array<number>(edges.length).fill(0);
  const last = edges.length - 1;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw new Error(`${reference.feature} is numeric; value ${i} is not a number`);
    // Above the last edge → last bin.
    counts[Math.min(firstAtLeast(edges, value), last)]++;
  }
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/** Population stability index Σ (a − e)·ln(a / e), shares floored at PSI_EPSILON. */
export function psi(reference: ReferenceDistribution, actualShares: readonly number[]): number {
  if (actualShares.length !== reference.shares.length) {
    throw new Error(
      `PSI of ${reference.feature}: ${actualShares.length} actual shares for ${reference.shares.length} reference bins`,
    );
  }
  return psiOfShares(reference.shares, actualShares, 1);
}

/**
 * PSI of bin counts (e.g. summed drift counters of several replicas) against reference shares;
 * NaN when there are no counts.
 */
export function psiFromCounts(referenceShares: readonly number[], counts: ArrayLike<number>): number {
  if (counts.length !== referenceShares.length)
    throw new Error(`PSI: ${counts.length} bin counts for ${referenceShares.length} reference bins`);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  return total > 0 ? psiOfShares(referenceShares, counts, total) : Number.NaN;
}

function psiOfShares(expectedShares: readonly number[], actual: ArrayLike<number>, total: number): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.max(PSI_EPSILON, expectedShares[i]);
    const a = Math.max(PSI_EPSILON, actual[i] / total);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Index of the first of the ascending `bounds` that is ≥ value, or bounds.length above them all (binary search). */
export function firstAtLeast(bounds: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
