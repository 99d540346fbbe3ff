import { describe, expect, it } from 'vitest';
import { EarlyStopping, replayEarlyStopping, type ValidationPoint } from './early-stopping.ts';

const points = (aucs: number[], losses: number[]): ValidationPoint[] =>
  aucs.map((validAuc, iteration) => ({ iteration, validAuc, validLoss: losses[iteration] }));

describe('early stopping', () => {
  // AUC rises until iteration 5 while log loss turns up after iteration 1 (a drifting week).
  const history = points(
    [0.6, 0.65, 0.66, 0.66, 0.67, 0.7, 0.69, 0.69, 0.69, 0.695],
    [0.5, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.48],
  );

  it('keeps the best iteration of the watched metric and stops after `rounds` without improvement', () => {
    expect(replayEarlyStopping(history, 'logloss', 3)).toEqual({ kept: 2, trained: 5 });
    expect(replayEarlyStopping(history, 'auc', 3)).toEqual({ kept: 6, trained: 9 });
    // Patience longer than the history: the best iteration so far, every tree trained.
    expect(replayEarlyStopping(history, 'auc', 30)).toEqual({ kept: 6, trained: 10 });
    // rounds 0: no early stopping, every tree kept.
    expect(replayEarlyStopping(history, 'auc', 0)).toEqual({ kept: 10, trained: 10 });
  });

  it('counts only strict improvements, so a tie keeps the smaller model', () => {
    const rule = new EarlyStopping('auc', 2);
    expect(rule.update(history[2])).toBe(false);
    expect(rule.update(history[3])).toBe(false);
    expect(rule.bestIteration).toBe(2);
  });

  it('names the iteration whose metric is missing', () => {
    const rule = new EarlyStopping('auc', 2);
    expect(() => rule.update({ iteration: 4, validLoss: 0.3 })).toThrow('validation auc is undefined at iteration 4');
  });
});
