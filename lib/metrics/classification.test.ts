import { describe, expect, it } from 'vitest';
import { createRandom } from '../util/random.ts';
import {
  alertBudget,
  auc,
  brier,
  budgetCount,
  expectedCalibrationError,
  logLoss,
  metricSet,
} from './classification.ts';
import { scoreOrder } from './sort-order.ts';

/** Random labels and scores rounded to `step`, so there are many ties. */
function randomData(n: number, seed: number, step = 0.05) {
  const random = createRandom(seed);
  const labels = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = random() < 0.3 ? 1 : 0;
    scores[i] = Math.round((random() * 0.6 + labels[i] * 0.3) / step) * step;
  }
  return { labels, scores };
}

function bruteForceAuc(labels: Uint8Array, scores: ArrayLike<number>): number {
  let pairs = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j]) continue;
      total++;
      if (scores[i] > scores[j]) pairs += 1;
      else if (scores[i] === scores[j]) pairs += 0.5;
    }
  }
  return pairs / total;
}

describe('scoreOrder', () => {
  it('sorts ascending with ties by descending index, on both the radix and the comparator path', () => {
    for (const n of [100, 5000]) {
      const random = createRandom(n);
      const scores = Float64Array.from({ length: n }, () => {
        const u = random();
        return u < 0.1 ? 0 : u < 0.15 ? -0 : Math.round((u - 0.5) * 40) / 7 + (u < 0.2 ? 1e12 : 0);
      });
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || b - a);
      expect(Array.from(scoreOrder(scores))).toEqual(expected);
    }
  });

  it('names the row of a non-finite score', () => {
    const scores = new Float64Array(3000);
    scores[1234] = Number.NaN;
    expect(() => scoreOrder(scores)).toThrow('scores[1234] is NaN');
    expect(() => scoreOrder([0.1, Number.POSITIVE_INFINITY])).toThrow('scores[1] is Infinity');
  });
});

describe('auc', () => {
  it('matches a hand-computed example, with ties counted as half', () => {
    expect(auc(Uint8Array.from([0, 0, 1, 1]), [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(auc(Uint8Array.from([0, 1]), [0.5, 0.5])).toBe(0.5);
    expect(auc(Uint8Array.from([0, 1, 1, 0]), [0.2, 0.5, 0.5, 0.5])).toBe((1 + 0.5 + 1 + 0.5) / 4);
  });

  it('equals O(n²) pair counting on random data with ties', () => {
    for (const [n, seed] of [
      [300, 1],
      [3000, 2],
    ]) {
      const { labels, scores } = randomData(n, seed);
      expect(auc(labels, scores)).toBeCloseTo(bruteForceAuc(labels, scores), 12);
    }
  });

  it('is NaN with one class and rejects bad input naming the culprit', () => {
    expect(auc(Uint8Array.from([1, 1]), [0.1, 0.2])).toBeNaN();
    expect(() => auc(Uint8Array.from([1, 0]), [0.1])).toThrow('labels have 2 rows but scores have 1');
    expect(() => auc(Uint8Array.from([1, 2]), [0.1, 0.2])).toThrow('labels[1] is 2');
  });
});

describe('probability metrics', () => {
  const labels = Uint8Array.from([1, 0]);
  const scores = [0.8, 0.3];

  it('log loss and Brier score match hand computation', () => {
    expect(logLoss(labels, scores)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 14);
    expect(brier(labels, scores)).toBeCloseTo((0.04 + 0.09) / 2, 14);
    expect(Number.isFinite(logLoss(Uint8Array.from([1, 0]), [0, 1]))).toBe(true);
    expect(() => logLoss(labels, [0.5, 1.5])).toThrow('scores[1] is 1.5, expected a probability');
  });

  it('ECE weights each equal-width bin by its rows', () => {
    const ece = expectedCalibrationError(Uint8Array.from([0, 1, 0, 1]), [0.05, 0.15, 0.15, 0.95]);
    // bin 0: |0.05 − 0|, bin 1: |0.3 − 1|, bin 9: |0.95 − 1|, each sum over 4 rows.
    expect(ece).toBeCloseTo((0.05 + 0.7 + 0.05) / 4, 14);
    expect(expectedCalibrationError(Uint8Array.from([1]), [1])).toBe(0);
    expect(expectedCalibrationError(Uint8Array.from([0, 1]), [0.25, 0.25], 2)).toBeCloseTo(0.25, 14);
  });
});

describe('alertBudget', () => {
  it('flags the top ceil(budget·n) by score, ties by lower row index', () => {
    const labels = Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
    const scores = [0.5, 0.5, 0.5, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.1];
    // Budget 0.3 → 3 rows: row 5 (0.9), then rows 0 and 1 of the 0.5 tie; row 2 is left out.
    expect(alertBudget(labels, scores, 0.3)).toEqual({ threshold: 0.5, flagged: 3, recall: 2 / 3, precision: 2 / 3 });
    expect(alertBudget(labels, scores, 0.2)).toEqual({ threshold: 0.5, flagged: 2, recall: 2 / 3, precision: 1 });
  });

  it('does not let float noise add a row', () => {
    expect(budgetCount(15, 0.2)).toBe(3);
    expect(budgetCount(16, 0.2)).toBe(4);
    expect(budgetCount(10, 0)).toBe(0);
    expect(budgetCount(10, 1)).toBe(10);
    expect(() => budgetCount(10, 1.5)).toThrow('alert budget must be a share in [0, 1], got 1.5');
  });

  it('matches a brute-force selection on random data', () => {
    const { labels, scores } = randomData(4000, 5);
    const ranked = Array.from({ length: 4000 }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    const k = 800;
    let caught = 0;
    let positives = 0;
    for (let i = 0; i < 4000; i++) positives += labels[i];
    for (let i = 0; i < k; i++) caught += labels[ranked[i]];
    const result = alertBudget(labels, scores, 0.2);
    expect(result).toEqual({
      threshold: scores[ranked[k - 1]],
      flagged: k,
      recall: caught / positives,
      precision: caught / k,
    });
  });
});

describe('metricSet', () => {
  it('agrees with the individual metrics', () => {
    const { labels, scores } = randomData(3000, 9, 0.001);
    const set = metricSet(labels, scores, 0.2);
    const budget = alertBudget(labels, scores, 0.2);
    expect(set).toEqual({
      rows: 3000,
      positives: labels.reduce((a, b) => a + b, 0),
      auc: auc(labels, scores),
      logLoss: logLoss(labels, scores),
      brier: brier(labels, scores),
      ece: expectedCalibrationError(labels, scores),
      recallAtBudget: budget.recall,
      precisionAtBudget: budget.precision,
    });
  });

  it('is fast on 500k rows (timing printed, not asserted)', () => {
    const { labels, scores } = randomData(500_000, 11, 1e-7);
    const floats = Float32Array.from(scores);
    const started = performance.now();
    const set = metricSet(labels, floats);
    console.log(`metricSet on 500k rows: ${(performance.now() - started).toFixed(0)} ms (AUC ${set.auc.toFixed(4)})`);
    expect(set.rows).toBe(500_000);
  });
});
