/**
 * Binary classification metrics for the model card, the gate and monitoring. Pure functions over
 * labels (1 = delayed) and scores (probabilities, except `auc`, which takes any real scores).
 * Metrics that are undefined for the input (AUC with one class, anything on zero rows) are NaN.
 */
import type { MetricSet } from '../registry/card.ts';
import { checkFiniteScores, scoreOrder } from './sort-order.ts';

export interface AlertBudgetResult {
  /** Score of the least risky flagged row: flights scoring at or above it are flagged. */
  threshold: number;
  flagged: number;
  recall: number;
  precision: number;
}

const LOG_LOSS_EPSILON = 1e-15;

function checkLabels(labels: Uint8Array, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length)
    throw new Error(`labels have ${labels.length} rows but scores have ${scores.length}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 1) throw new Error(`labels[${i}] is ${labels[i]}, expected 0 or 1`);
  }
}

function checkProbabilities(scores: ArrayLike<number>): void {
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i];
    if (!(p >= 0 && p <= 1)) throw new Error(`scores[${i}] is ${p}, expected a probability in [0, 1]`);
  }
}

function checkBudget(budget: number): void {
  if (!(budget >= 0 && budget <= 1)) throw new Error(`alert budget must be a share in [0, 1], got ${budget}`);
}

/**
 * How many of `n` rows a budget flags: ceil(budget · n), computed so that float noise
 * (0.2 · 15 = 3.0000000000000004) does not add a row.
 */
export function budgetCount(n: number, budget: number): number {
  checkBudget(budget);
  const exact = budget * n;
  return Math.min(n, Math.max(0, Math.ceil(exact - 1e-9 * Math.max(1, exact))));
}

/** Area under the ROC curve, rank-based (Mann–Whitney) with tied scores counted as half. */
export function auc(labels: Uint8Array, scores: ArrayLike<number>): number {
  checkLabels(labels, scores);
  return aucFromOrder(labels, scores, scoreOrder(scores));
}

/** AUC given `order = scoreOrder(scores)`: one pass over the tie groups. */
export function aucFromOrder(labels: Uint8Array, scores: ArrayLike<number>, order: Uint32Array): number {
  const n = order.length;
  let pairs = 0;
  let negativesBelow = 0;
  let positives = 0;
  let j = 0;
  while (j < n) {
    const score = scores[order[j]];
    let groupPositives = 0;
    let groupNegatives = 0;
    for (; j < n && scores[order[j]] === score; j++) {
      if (labels[order[j]]) groupPositives++;
      else groupNegatives++;
    }
    pairs += groupPositives * (negativesBelow + 0.5 * groupNegatives);
    negativesBelow += groupNegatives;
    positives += groupPositives;
  }
  if (positives === 0 || negativesBelow === 0) return Number.NaN;
  return pairs / (positives * negativesBelow);
}

/** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(labels: Uint8Array, scores: ArrayLike<number>): number {
  checkLabels(labels, scores);
  checkProbabilities(scores);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, scores[i]));
    sum -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

/** Mean squared error of the probabilities. */
export function brier(labels: Uint8Array, scores: ArrayLike<number>): number {
  checkLabels(labels, scores);
  checkProbabilities(scores);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = scores[i] - labels[i];
    sum += d * d;
  }
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

/**
 * Expected calibration error: equal-width probability bins ([0, 1/bins), …, [1 − 1/bins, 1]),
 * |mean predicted − observed rate| per bin, weighted by the bin's share of rows.
 */
export function expectedCalibrationError(labels: Uint8Array, scores: ArrayLike<number>, bins = 10): number {
  checkLabels(labels, scores);
  checkProbabilities(scores);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`ECE bins must be a positive integer, got ${bins}`);
  const n = labels.length;
  if (n === 0) return Number.NaN;
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.floor(scores[i] * bins));
    count[b]++;
    predicted[b] += scores[i];
    observed[b] += labels[i];
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] > 0) ece += Math.abs(predicted[b] - observed[b]) / n;
  }
  return ece;
}

/**
 * Flags the riskiest `budget` share — the top ceil(budget · n) rows by score, ties broken by lower
 * row index — and reports recall and precision of delayed flights among them.
 */
export function alertBudget(labels: Uint8Array, scores: ArrayLike<number>, budget = 0.2): AlertBudgetResult {
  checkLabels(labels, scores);
  return alertBudgetFromOrder(labels, scores, scoreOrder(scores), budget);
}

export function alertBudgetFromOrder(
  labels: Uint8Array,
  scores: ArrayLike<number>,
  order: Uint32Array,
  budget: number,
): AlertBudgetResult {
  const n = order.length;
  const flagged = budgetCount(n, budget);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  let caught = 0;
  for (let j = n - flagged; j < n; j++) caught += labels[order[j]];
  return {
    threshold: flagged > 0 ? scores[order[n - flagged]] : Number.POSITIVE_INFINITY,
    flagged,
    recall: positives > 0 ? caught / positives : Number.NaN,
    precision: flagged > 0 ? caught / flagged : Number.NaN,
  };
}

/** Every figure of the card's MetricSet; sorts the scores once. */
export function metricSet(labels: Uint8Array, scores: ArrayLike<number>, budget = 0.2): MetricSet {
  checkLabels(labels, scores);
  checkFiniteScores(scores);
  const order = scoreOrder(scores);
  const budgeted = alertBudgetFromOrder(labels, scores, order, budget);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  return {
    rows: labels.length,
    positives,
    auc: aucFromOrder(labels, scores, order),
    logLoss: logLoss(labels, scores),
    brier: brier(labels, scores),
    ece: expectedCalibrationError(labels, scores),
    recallAtBudget: budgeted.recall,
    precisionAtBudget: budgeted.precision,
  };
}
