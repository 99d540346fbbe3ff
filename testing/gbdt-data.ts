/** Small seeded synthetic data sets for the GBDT and logistic tests. */
import type { Matrix } from '../lib/ml/matrix.ts';
import { mulberry32 } from '../lib/ml/gbdt/binning.ts';

/** A matrix from a row function: `row(rand, values)` fills the features and returns the label. */
export function synthetic(
  rows: number,
  cols: number,
  seed: number,
  row: (rand: () => number, x: Float32Array) => number,
): Matrix {
  const rand = mulberry32(seed);
  const values = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  const x = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    labels[r] = row(rand, x) ? 1 : 0;
    values.set(x, r * cols);
  }
  return { rows, cols, values, labels, featureNames: Array.from({ length: cols }, (_, c) => `f${c}`) };
}

/** Nonlinear problem: XOR of two features plus an integer feature and noise features. */
export function xorData(rows: number, seed: number, noise = 0.1): Matrix {
  return synthetic(rows, 5, seed, (rand, x) => {
    x[0] = rand() * 2 - 1;
    x[1] = rand() * 2 - 1;
    x[2] = Math.floor(rand() * 7); // weekday-like
    x[3] = rand();
    x[4] = rand() * 100;
    const y = x[0] * x[1] > 0 !== (x[2] === 6) ? 1 : 0;
    return rand() < noise ? 1 - y : y;
  });
}

/** Rank AUC (ties half) for tests. */
export function rankAuc(labels: Uint8Array, scores: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        rankSum += avg;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = labels.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
