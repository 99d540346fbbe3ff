import { describe, expect, it } from 'vitest';
import { retrainOptions } from './reproduce.ts';
import { fakeCard } from '../../testing/registry.ts';

describe('retrainOptions', () => {
  // A card without earlyStoppingMetric predates it: those runs stopped on validation log loss.
  it('takes asOf, window, GBDT parameters and seed from the card, not run-level settings', () => {
    const card = fakeCard(new Uint8Array([1, 2, 3]));
    card.seed = 7;
    card.params = {
      trees: 500,
      learningRate: 0.1,
      threads: 8,
      seed: 7,
      trainDays: 28,
      dataset: { folds: 5 },
      alertBudget: 0.2,
    };
    expect(retrainOptions(card)).toEqual({
      asOf: card.data.asOf,
      trainDays: 28,
      params: { trees: 500, learningRate: 0.1, earlyStoppingMetric: 'logloss', seed: 7 },
    });
    card.params = { trees: 10, trainDays: null, earlyStoppingMetric: 'auc' };
    expect(retrainOptions(card)).toEqual({
      asOf: card.data.asOf,
      trainDays: undefined,
      params: { trees: 10, earlyStoppingMetric: 'auc', seed: 7 },
    });
  });
});
