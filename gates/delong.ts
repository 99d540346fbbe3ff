/**
 * DeLong's test for two correlated AUCs on the same rows (DeLong, DeLong & Clarke-Pearson, 1988):
 * the variance of AUC(a) − AUC(b) from each row's placement values, in O(n log n), no resampling.
 * The gate uses it per slice — dozens of slices × 1,000 bootstrap resamples would not fit the
 * time budget — while the overall AUC and recall comparisons use the paired bootstrap.
 */

export interface PairedAucTest {
  a: number;
  b: number;
  /** a − b */
  delta: number;
  /** Standard error of the difference. */
  se: number;
  /** 95% interval of the difference (normal approximation). */
  lo: number;
  hi: number;
}

const Z95 = 1.959963984540054;

/** Midranks (1-based; tied values share the mean of their ranks). */
export function midranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => values[x] - values[y]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = mid;
    i = j + 1;
  }
  return ranks;
}

interface Placements {
  auc: number;
  /** Per positive: share of negatives it outranks (ties count half). */
  v10: Float64Array;
  /** Per negative: share of positives that outrank it. */
  v01: Float64Array;
}

function placements(scores: ArrayLike<number>, positives: Uint32Array, negatives: Uint32Array): Placements {
  const m = positives.length;
  const n = negatives.length;
  const all = new Float64Array(m + n);
  const pos = new Float64Array(m);
  const neg = new Float64Array(n);
  for (let i = 0; i < m; i++) all[i] = pos[i] = scores[positives[i]];
  for (let j = 0; j < n; j++) all[m + j] = neg[j] = scores[negatives[j]];
  const z = midranks(all);
  const tx = midranks(pos);
  const ty = midranks(neg);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  let rankSum = 0;
  for (let i = 0; i < m; i++) {
    rankSum += z[i];
    v10[i] = (z[i] - tx[i]) / n;
  }
  for (let j = 0; j < n; j++) v01[j] = 1 - (z[m + j] - ty[j]) / m;
  return { auc: (rankSum - (m * (m + 1)) / 2) / (m * n), v10, v01 };
}

function covariance(x: Float64Array, y: Float64Array): number {
  const k = x.length;
  if (k < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < k; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= k;
  my /= k;
  let s = 0;
  for (let i = 0; i < k; i++) s += (x[i] - mx) * (y[i] - my);
  return s / (k - 1);
}

/** AUC(a) − AUC(b) on the same labelled rows, with its DeLong standard error; NaNs with one class. */
export function pairedAucDelong(labels: Uint8Array, a: ArrayLike<number>, b: ArrayLike<number>): PairedAucTest {
  if (a.length !== labels.length || b.length !== labels.length)
    throw new Error(`pairedAucDelong: ${labels.length} labels but ${a.length} and ${b.length} scores`);
  let m = 0;
  for (let i = 0; i < labels.length; i++) m += labels[i] ? 1 : 0;
  const n = labels.length - m;
  if (m === 0 || n === 0)
    return { a: Number.NaN, b: Number.NaN, delta: Number.NaN, se: Number.NaN, lo: Number.NaN, hi: Number.NaN };
  const positives = new Uint32Array(m);
  const negatives = new Uint32Array(n);
  for (let i = 0, p = 0, q = 0; i < labels.length; i++) {
    if (labels[i]) positives[p++] = i;
    else negatives[q++] = i;
  }
  const pa = placements(a, positives, negatives);
  const pb = placements(b, positives, negatives);
  const variance =
    (covariance(pa.v10, pa.v10) + covariance(pb.v10, pb.v10) - 2 * covariance(pa.v10, pb.v10)) / m +
    (covariance(pa.v01, pa.v01) + covariance(pb.v01, pb.v01) - 2 * covariance(pa.v01, pb.v01)) / n;
  const se = Math.sqrt(Math.max(0, variance));
  const delta = pa.auc - pb.auc;
  return { a: pa.auc, b: pb.auc, delta, se, lo: delta - Z95 * se, hi: delta + Z95 * se };
}
