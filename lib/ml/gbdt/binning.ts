/**
 * Feature binning: per-feature bin edges (at most 255 bins, so a bin index fits a byte) learned
 * from a seeded sample of rows, and the row-major uint8 bin matrix the trees are grown on.
 *
 * Bin `b` of feature `f` holds the values x with thresholds[f][b-1] <= x < thresholds[f][b]
 * (bin 0 is everything below the first threshold, the last bin everything at or above the last).
 * So "bin <= b" is exactly "x < thresholds[f][b]", the ONNX BRANCH_LT test, for any float32 x,
 * and every threshold is a float32 value t with (lower bin's values) < t <= (upper bin's values).
 */
import type { Matrix } from '../matrix.ts';
import { MAX_BINS } from './kernels/constants.ts';

export { MAX_BINS };

export interface BinMapper {
  /** Per feature, strictly increasing float32-representable thresholds; numBins = length + 1. */
  thresholds: Float64Array[];
  /** Bins per feature (thresholds[f].length + 1). */
  numBins: Int32Array;
}

export interface BinningOptions {
  maxBins: number;
  /** Rows sampled to find the edges; all rows when the matrix has fewer. */
  sampleRows: number;
  seed: number;
}

export const DEFAULT_BINNING: BinningOptions = { maxBins: MAX_BINS, sampleRows: 200_000, seed: 1 };

/** Small, fast, seedable PRNG (mulberry32); returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sorted row indices of a seeded uniform sample of `k` distinct rows out of `n` (all rows when
 * k >= n): selection sampling (Knuth's algorithm S), one pass, already in order.
 */
export function sampleRows(n: number, k: number, seed: number): Uint32Array {
  if (k >= n) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const rand = mulberry32(seed);
  const out = new Uint32Array(k);
  let chosen = 0;
  for (let i = 0; i < n && chosen < k; i++) {
    if ((n - i) * rand() < k - chosen) out[chosen++] = i;
  }
  return out;
}

/**
 * A float32 threshold t with a < t <= b for float32 values a < b: the float32 midpoint when it
 * lies strictly above a, else b itself.
 */
export function thresholdBetween(a: number, b: number): number {
  const mid = Math.fround(a / 2 + b / 2);
  return mid > a && mid <= b ? mid : b;
}

/**
 * Ascending copy of float32 values (NaN last), by a two-pass LSD radix sort on order-preserving
 * integer keys: several times faster than TypedArray sort for the 200k-value samples.
 */
export function sortFloat32(values: Float32Array): Float32Array {
  const n = values.length;
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  // Flip: negatives reverse, positives above them. NaN (positive quiet NaN) sorts last.
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    bits[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  const tmp = new Uint32Array(n);
  const counts = new Int32Array(65536);
  for (const shift of [0, 16]) {
    const src = shift === 0 ? bits : tmp;
    const dst = shift === 0 ? tmp : bits;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(src[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) dst[counts[(src[i] >>> shift) & 0xffff]++] = src[i];
  }
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    bits[i] = b & 0x80000000 ? (b & 0x7fffffff) >>> 0 : ~b >>> 0;
  }
  return new Float32Array(bits.buffer);
}

/**
 * Thresholds for one feature from its sampled values (float32, any order; NaN not allowed).
 * At most `maxBins` bins: one per distinct value when there are few, else greedy quantiles where
 * a heavy value gets a bin of its own.
 */
export function featureThresholds(sample: Float32Array, maxBins: number): Float64Array {
  if (maxBins < 2 || maxBins > MAX_BINS) throw new Error(`maxBins must be in [2, ${MAX_BINS}], got ${maxBins}`);
  const sorted = sortFloat32(sample);
  const n = sorted.length;
  if (n === 0) return new Float64Array(0);
  if (Number.isNaN(sorted[n - 1])) throw new Error('binning: NaN values are not supported');
  // Distinct values and their counts (-0 and +0 are one value).
  const distinct = new Float64Array(n);
  const counts = new Float64Array(n);
  let d = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    if (d > 0 && distinct[d - 1] === v) counts[d - 1]++;
    else {
      distinct[d] = v;
      counts[d++] = 1;
    }
  }
  const out: number[] = [];
  if (d <= maxBins) {
    for (let i = 0; i + 1 < d; i++) out.push(thresholdBetween(distinct[i], distinct[i + 1]));
    return Float64Array.from(out);
  }
  let binsLeft = maxBins;
  let rest = n;
  let acc = 0;
  for (let i = 0; i + 1 < d && binsLeft > 1; i++) {
    acc += counts[i];
    const target = rest / binsLeft;
    if (acc >= target || (counts[i + 1] >= target && acc > 0)) {
      out.push(thresholdBetween(distinct[i], distinct[i + 1]));
      rest -= acc;
      acc = 0;
      binsLeft--;
    }
  }
  return Float64Array.from(out);
}

/** Learns the bin edges of every feature from a seeded sample of the matrix rows. */
export function computeBinMapper(matrix: Matrix, options: Partial<BinningOptions> = {}): BinMapper {
  const { maxBins, sampleRows: k, seed } = { ...DEFAULT_BINNING, ...options };
  const rows = sampleRows(matrix.rows, k, seed);
  const cols = matrix.cols;
  const thresholds: Float64Array[] = [];
  // Copy the sampled rows once (one cache miss per row), then read columns from the copy.
  const sample = new Float32Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++)
    sample.set(matrix.values.subarray(rows[i] * cols, rows[i] * cols + cols), i * cols);
  const column = new Float32Array(rows.length);
  for (let f = 0; f < cols; f++) {
    for (let i = 0; i < rows.length; i++) column[i] = sample[i * cols + f];
    thresholds.push(featureThresholds(column, maxBins));
  }
  return { thresholds, numBins: Int32Array.from(thresholds, (t) => t.length + 1) };
}

/** Bin of one value: the number of thresholds <= x. */
export function binOf(thresholds: Float64Array, x: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Thresholds padded with NaN to 256 entries, for the branch-free search of paddedBin: `NaN <= x`
 * is false for every x, so the padding is never counted (not even for x = +Infinity).
 */
export function paddedThresholds(mapper: BinMapper): Float64Array[] {
  return mapper.thresholds.map((t) => {
    const padded = new Float64Array(256).fill(NaN);
    padded.set(t);
    return padded;
  });
}

/**
 * The bin of x among 256 padded thresholds (paddedThresholds): the number of them <= x, found in
 * eight branch-free steps (~3.5x faster than a binary search loop).
 */
export function paddedBin(T: Float64Array, x: number): number {
  let p = 0;
  p += 128 & -+(T[p + 127] <= x);
  p += 64 & -+(T[p + 63] <= x);
  p += 32 & -+(T[p + 31] <= x);
  p += 16 & -+(T[p + 15] <= x);
  p += 8 & -+(T[p + 7] <= x);
  p += 4 & -+(T[p + 3] <= x);
  p += 2 & -+(T[p + 1] <= x);
  p += 1 & -+(T[p] <= x);
  return p;
}

/** Bins a whole matrix into a row-major uint8 matrix of the same shape. */
export function binMatrix(matrix: Matrix, mapper: BinMapper): Uint8Array {
  const { rows, cols, values } = matrix;
  const out = new Uint8Array(rows * cols);
  const padded = paddedThresholds(mapper);
  // Blocks of rows, feature by feature inside a block: the block's values stay in cache.
  for (let start = 0; start < rows; start += 2048) {
    const end = Math.min(rows, start + 2048);
    for (let f = 0; f < cols; f++) {
      const T = padded[f];
      for (let r = start; r < end; r++) out[r * cols + f] = paddedBin(T, values[r * cols + f]);
    }
  }
  return out;
}
