import { describe, expect, it } from 'vitest';
import { createPoissonOneStream, createRandom } from '../util/random.ts';
import { alertBudget, auc } from './classification.ts';
import {
  blockedSlots,
  pairedBootstrap,
  quantile,
  rankScores,
  weightedAuc,
  weightedRecallAtBudget,
  withSlots,
} from './bootstrap.ts';

/** Labels and two models' scores: the candidate sees more of the label than the champion. */
function twoModels(n: number, seed: number, candidateSignal = 0.35, championSignal = 0.15) {
  const random = createRandom(seed);
  const labels = new Uint8Array(n);
  const candidate = new Float64Array(n);
  const champion = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = random() < 0.2 ? 1 : 0;
    candidate[i] = Math.round((random() * 0.6 + labels[i] * candidateSignal) * 200) / 200;
    champion[i] = Math.round((random() * 0.6 + labels[i] * championSignal) * 200) / 200;
  }
  return { labels, candidate, champion };
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

describe('weighted metrics', () => {
  const { labels, candidate } = twoModels(5000, 1);
  const ranked = rankScores(labels, candidate);

  it('with all weights 1 equal the unweighted AUC and recall at budget', () => {
    const ones = new Uint8Array(labels.length).fill(1);
    expect(weightedAuc(ranked, ones)).toBeCloseTo(auc(labels, candidate), 12);
    for (const budget of [0.1, 0.2, 0.37]) {
      expect(weightedRecallAtBudget(ranked, ones, budget, labels.length, sum(labels))).toBe(
        alertBudget(labels, candidate, budget).recall,
      );
    }
  });

  it('with integer weights equal the metrics of the data set with rows repeated', () => {
    const weights = createPoissonOneStream(2)(new Uint8Array(labels.length));
    const repeatedLabels: number[] = [];
    const repeatedScores: number[] = [];
    // Copies stay in row order, so ties break the same way as in the weighted pass.
    for (let i = 0; i < labels.length; i++) {
      for (let c = 0; c < weights[i]; c++) {
        repeatedLabels.push(labels[i]);
        repeatedScores.push(candidate[i]);
      }
    }
    const expanded = Uint8Array.from(repeatedLabels);
    expect(weightedAuc(ranked, weights)).toBeCloseTo(auc(expanded, repeatedScores), 12);
    let positives = 0;
    for (let i = 0; i < labels.length; i++) positives += weights[i] * labels[i];
    expect(weightedRecallAtBudget(ranked, weights, 0.2, sum(weights), positives)).toBe(
      alertBudget(expanded, repeatedScores, 0.2).recall,
    );
  });

  it('give the same figures when weights live in the blocked layout the bootstrap uses', () => {
    const { labels, candidate, champion } = twoModels(10_000, 12);
    const byRow = [rankScores(labels, candidate), rankScores(labels, champion)];
    const slotOfRow = blockedSlots(byRow[0], byRow[1]);
    expect(Array.from(slotOfRow).sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    const slotWeights = createPoissonOneStream(5)(new Uint8Array(10_000));
    const rowWeights = Uint8Array.from(slotOfRow, (slot) => slotWeights[slot]);
    let positives = 0;
    for (let i = 0; i < labels.length; i++) positives += rowWeights[i] * labels[i];
    for (const ranked of byRow) {
      const blocked = withSlots(ranked, slotOfRow);
      expect(weightedAuc(blocked, slotWeights)).toBe(weightedAuc(ranked, rowWeights));
      expect(weightedRecallAtBudget(blocked, slotWeights, 0.2, sum(rowWeights), positives)).toBe(
        weightedRecallAtBudget(ranked, rowWeights, 0.2, sum(rowWeights), positives),
      );
    }
  });
});

describe('pairedBootstrap', () => {
  it('gives an interval that excludes 0 and contains the true delta for a clearly better model', () => {
    const sample = twoModels(20_000, 3);
    // The "true" delta: the same models on a much larger population.
    const population = twoModels(300_000, 4);
    for (const metric of ['auc', 'recallAtBudget'] as const) {
      const truth =
        metric === 'auc'
          ? auc(population.labels, population.candidate) - auc(population.labels, population.champion)
          : alertBudget(population.labels, population.candidate).recall -
            alertBudget(population.labels, population.champion).recall;
      const result = pairedBootstrap(sample.labels, sample.candidate, sample.champion, {
        metric,
        iterations: 300,
        seed: 11,
      });
      expect(result.iterations).toBe(300);
      expect(result.lo).toBeGreaterThan(0);
      expect(result.lo).toBeLessThanOrEqual(truth);
      expect(result.hi).toBeGreaterThanOrEqual(truth);
      expect(result.lo).toBeLessThanOrEqual(result.delta);
      expect(result.hi).toBeGreaterThanOrEqual(result.delta);
    }
  });

  it('reports the full-data metrics as point estimates', () => {
    const { labels, candidate, champion } = twoModels(3000, 5);
    const result = pairedBootstrap(labels, candidate, champion, { metric: 'auc', iterations: 50, seed: 1 });
    expect(result.candidate).toBeCloseTo(auc(labels, candidate), 12);
    expect(result.champion).toBeCloseTo(auc(labels, champion), 12);
    expect(result.delta).toBeCloseTo(result.candidate - result.champion, 15);
  });

  it('gives exactly 0 for a model against itself, and covers 0 for two equally good models', () => {
    const { labels, candidate, champion } = twoModels(5000, 6, 0.3, 0.3);
    const self = pairedBootstrap(labels, candidate, candidate, { metric: 'auc', iterations: 100, seed: 2 });
    expect([self.delta, self.lo, self.hi]).toEqual([0, 0, 0]);
    const even = pairedBootstrap(labels, candidate, champion, { metric: 'auc', iterations: 300, seed: 2 });
    expect(even.lo).toBeLessThan(0);
    expect(even.hi).toBeGreaterThan(0);
  });

  it('is reproducible from the seed', () => {
    const { labels, candidate, champion } = twoModels(3000, 7);
    const options = { metric: 'recallAtBudget' as const, iterations: 100, seed: 9 };
    expect(pairedBootstrap(labels, candidate, champion, options)).toEqual(
      pairedBootstrap(labels, candidate, champion, options),
    );
    expect(pairedBootstrap(labels, candidate, champion, { ...options, seed: 10 }).lo).not.toBe(
      pairedBootstrap(labels, candidate, champion, options).lo,
    );
  });

  it('rejects mismatched inputs, naming them', () => {
    const labels = new Uint8Array(3);
    expect(() => pairedBootstrap(labels, [1, 2, 3], [1, 2], { metric: 'auc', seed: 1 })).toThrow(
      '3 labels but 3 candidate and 2 champion scores',
    );
    expect(() => pairedBootstrap(labels, [1, 2, 3], [1, 2, 3], { metric: 'auc', seed: 1, iterations: 0 })).toThrow(
      'iterations must be a positive integer',
    );
    expect(() => pairedBootstrap(labels, [1, 2, 3], [1, 2, 3], { metric: 'f1' as 'auc', seed: 1 })).toThrow(
      'unknown metric "f1"',
    );
  });

  it('runs on 500k rows (timing printed, not asserted; bench/metrics.ts times 1000 iterations)', () => {
    const { labels, candidate, champion } = twoModels(500_000, 8);
    const iterations = 20;
    const started = performance.now();
    const result = pairedBootstrap(labels, Float32Array.from(candidate), Float32Array.from(champion), {
      metric: 'auc',
      iterations,
      seed: 1,
    });
    console.log(
      `pairedBootstrap AUC, 500k rows × ${iterations} iterations (sorting included): ${(performance.now() - started).toFixed(0)} ms; delta ${result.delta.toFixed(4)} [${result.lo.toFixed(4)}, ${result.hi.toFixed(4)}]`,
    );
    expect(result.iterations).toBe(iterations);
  });
});

describe('quantile', () => {
  it('interpolates linearly between order statistics', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2], 0.25)).toBe(1.25);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
