import { describe, expect, it } from 'vitest';
import { rankAuc, synthetic } from '../../testing/gbdt-data.ts';
import { predictLogistic, solveSpd, trainLogistic } from './logistic.ts';

const linear = (rows: number, seed: number) =>
  synthetic(rows, 3, seed, (rand, x) => {
    x[0] = rand() * 100; // large scale: standardisation matters
    x[1] = rand() * 2 - 1;
    x[2] = 5; // constant
    const z = 0.04 * (x[0] - 50) - 2 * x[1];
    return rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  });

describe('logistic regression', () => {
  it('recovers the signs and ranks well on a linear problem', () => {
    const train = linear(5000, 1);
    const model = trainLogistic(train);
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(model.weights[1]).toBeLessThan(0);
    expect(model.weights[2]).toBe(0);
    expect(model.stds[2]).toBe(1);
    const test = linear(3000, 2);
    expect(rankAuc(test.labels, predictLogistic(model, test))).toBeGreaterThan(0.8);
  });

  it('is deterministic and L2 shrinks the weights', () => {
    const train = linear(2000, 3);
    expect(trainLogistic(train)).toEqual(trainLogistic(train));
    const strong = trainLogistic(train, { lambda: 5000 });
    const weak = trainLogistic(train, { lambda: 0.01 });
    expect(Math.abs(strong.weights[0])).toBeLessThan(Math.abs(weak.weights[0]));
  });

  it('solves SPD systems', () => {
    const x = solveSpd(Float64Array.from([4, 1, 1, 3]), Float64Array.from([1, 2]), 2);
    expect(x[0]).toBeCloseTo(1 / 11, 12);
    expect(x[1]).toBeCloseTo(7 / 11, 12);
  });
});
