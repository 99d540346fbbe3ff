/**
 * Logistic-regression baseline: standardised features, L2 penalty on the weights (not the bias),
 * fitted by Newton's method (IRLS) with step halving. Deterministic: fixed-order sums, no
 * randomness. Cost per iteration is one pass over the rows with a (d+1)² Hessian update.
 */
import type { Matrix } from './matrix.ts';

export interface LogisticParams {
  /** L2 penalty λ in  Σ logloss + λ/2 ||w||². */
  lambda: number;
  maxIterations: number;
  /** Stop when the relative decrease of the objective falls below this. */
  tolerance: number;
}

export const DEFAULT_LOGISTIC_PARAMS: LogisticParams = { lambda: 1, maxIterations: 25, tolerance: 1e-7 };

export interface LogisticModel {
  kind: 'logistic';
  /** Weights of the standardised features. */
  weights: number[];
  bias: number;
  means: number[];
  /** Standard deviations (1 where a feature is constant). */
  stds: number[];
  featureNames: string[];
}

function standardisation(m: Matrix): { means: Float64Array; stds: Float64Array } {
  const { rows, cols, values } = m;
  const means = new Float64Array(cols);
  const stds = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) means[c] += values[r * cols + c];
  for (let c = 0; c < cols; c++) means[c] /= Math.max(1, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = values[r * cols + c] - means[c];
      stds[c] += d * d;
    }
  }
  for (let c = 0; c < cols; c++) {
    const s = Math.sqrt(stds[c] / Math.max(1, rows));
    stds[c] = s > 1e-12 ? s : 1;
  }
  return { means, stds };
}

/** Cholesky solve of the symmetric positive definite n×n system A x = b (A row-major). */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * n + j] = sum / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k];
    x[i] = sum / l[i * n + i];
  }
  return x;
}

export function trainLogistic(train: Matrix, params: Partial<LogisticParams> = {}): LogisticModel {
  const { lambda, maxIterations, tolerance } = { ...DEFAULT_LOGISTIC_PARAMS, ...params };
  const { rows, cols, values, labels } = train;
  const { means, stds } = standardisation(train);
  const d = cols + 1; // last coefficient is the bias
  const x = new Float64Array(d);
  x[cols] = 1;
  // Standardised copy of one row at a time (z), coefficients beta (weights..., bias).
  let beta = new Float64Array(d);
  let positives = 0;
  for (let r = 0; r < rows; r++) positives += labels[r];
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, rows)));
  beta[cols] = Math.log(prior / (1 - prior));

  const objective = (b: Float64Array): number => {
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      let s = b[cols];
      for (let c = 0; c < cols; c++) s += b[c] * ((values[r * cols + c] - means[c]) / stds[c]);
      loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - labels[r] * s;
    }
    let penalty = 0;
    for (let c = 0; c < cols; c++) penalty += b[c] * b[c];
    return loss + (lambda / 2) * penalty;
  };

  let current = objective(beta);
  for (let it = 0; it < maxIterations; it++) {
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let r = 0; r < rows; r++) {
      let s = beta[cols];
      for (let c = 0; c < cols; c++) {
        x[c] = (values[r * cols + c] - means[c]) / stds[c];
        s += beta[c] * x[c];
      }
      const p = 1 / (1 + Math.exp(-s));
      const g = p - labels[r];
      const w = Math.max(p * (1 - p), 1e-12);
      for (let i = 0; i < d; i++) {
        grad[i] += g * x[i];
        const wx = w * x[i];
        for (let j = 0; j <= i; j++) hess[i * d + j] += wx * x[j];
      }
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) hess[j * d + i] = hess[i * d + j];
    for (let c = 0; c < cols; c++) {
      grad[c] += lambda * beta[c];
      hess[c * d + c] += lambda;
    }
    const step = solveSpd(hess, grad, d);
    let t = 1;
    let next = beta;
    let value = current;
    for (let halving = 0; halving < 30; halving++) {
      const candidate = new Float64Array(d);
      for (let i = 0; i < d; i++) candidate[i] = beta[i] - t * step[i];
      const v = objective(candidate);
      if (v <= current) {
        next = candidate;
        value = v;
        break;
      }
      t /= 2;
    }
    const decrease = current - value;
    beta = next;
    current = value;
    if (decrease <= tolerance * Math.max(1, Math.abs(current))) break;
  }
  return {
    kind: 'logistic',
    weights: Array.from(beta.subarray(0, cols)),
    bias: beta[cols],
    means: Array.from(means),
    stds: Array.from(stds),
    featureNames: [...train.featureNames],
  };
}

/** Probabilities for every row of a matrix. */
export function predictLogistic(model: LogisticModel, matrix: Matrix): Float64Array {
  const { rows, cols, values } = matrix;
  if (cols !== model.weights.length)
    throw new Error(`logistic: model has ${model.weights.length} features, matrix ${cols}`);
  const w = Float64Array.from(model.weights);
  const m = Float64Array.from(model.means);
  const sd = Float64Array.from(model.stds);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = model.bias;
    for (let c = 0; c < cols; c++) s += w[c] * ((values[r * cols + c] - m[c]) / sd[c]);
    out[r] = 1 / (1 + Math.exp(-s));
  }
  return out;
}
