import { describe, expect, it } from 'vitest';
import { predictLogistic, trainLogistic } from '../logistic.ts';
import type { Matrix } from '../matrix.ts';
import { trainGbdt } from './booster.ts';
import {
  type GbdtModel,
  type Tree,
  predictProba,
  predictProbaMatrix,
  predictRawMatrix,
  predictRawRow,
} from './model.ts';
import { logLoss } from './objective.ts';
import { auc } from '../../metrics/classification.ts';
import { replayEarlyStopping } from './early-stopping.ts';
import { rankAuc, synthetic, xorData } from '../../../testing/gbdt-data.ts';

const rawScores = (model: GbdtModel, m: Matrix) => {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) out[r] = predictRawRow(model, m.values.subarray(r * m.cols, (r + 1) * m.cols));
  return out;
};

function leafOf(tree: Tree, row: ArrayLike<number>): { node: number; depth: number } {
  let node = 0;
  let depth = 0;
  while (tree.feature[node] >= 0) {
    node = row[tree.feature[node]] < tree.threshold[node] ? tree.left[node] : tree.right[node];
    depth++;
  }
  return { node, depth };
}

function maxDepthOf(tree: Tree, node = 0): number {
  if (tree.feature[node] < 0) return 0;
  return 1 + Math.max(maxDepthOf(tree, tree.left[node]), maxDepthOf(tree, tree.right[node]));
}

describe('trainGbdt', () => {
  it('learns a simple threshold rule exactly with one split', async () => {
    const m = synthetic(2000, 3, 1, (rand, x) => {
      x[0] = Math.floor(rand() * 20);
      x[1] = rand();
      x[2] = Math.floor(rand() * 3);
      return x[0] >= 13 ? 1 : 0;
    });
    const { model } = await trainGbdt(m, null, {
      trees: 1,
      maxDepth: 1,
      learningRate: 1,
      threads: 1,
      minDataInLeaf: 0,
    });
    const [tree] = model.trees;
    expect(tree.feature[0]).toBe(0);
    expect(tree.feature.filter((f) => f < 0)).toHaveLength(2);
    // The threshold separates the two classes in the training data.
    let lowMax = -Infinity;
    let highMin = Infinity;
    for (let r = 0; r < m.rows; r++) {
      const x = m.values[r * 3];
      if (m.labels[r]) highMin = Math.min(highMin, x);
      else lowMax = Math.max(lowMax, x);
    }
    expect(tree.threshold[0]).toBeGreaterThan(lowMax);
    expect(tree.threshold[0]).toBeLessThanOrEqual(highMin);
    const raw = rawScores(model, m);
    for (let r = 0; r < m.rows; r++) expect(raw[r] > model.baseScore).toBe(m.labels[r] === 1);
  });

  it('beats the logistic baseline on a nonlinear problem', async () => {
    const train = xorData(8000, 2);
    const test = xorData(4000, 3);
    const { model } = await trainGbdt(train, null, {
      trees: 60,
      maxLeaves: 16,
      maxDepth: 6,
      learningRate: 0.2,
      threads: 1,
    });
    const gbdtAuc = rankAuc(test.labels, predictProba(model, test.values, test.cols));
    const logistic = trainLogistic(train);
    const baseAuc = rankAuc(test.labels, predictLogistic(logistic, test));
    expect(gbdtAuc).toBeGreaterThan(0.85);
    expect(gbdtAuc).toBeGreaterThan(baseAuc + 0.2);
  });

  it('early stopping on log loss keeps the trees of the best validation iteration', async () => {
    const train = xorData(3000, 4, 0.3);
    const valid = xorData(3000, 5, 0.3);
    const result = await trainGbdt(train, valid, {
      trees: 300,
      learningRate: 0.5,
      maxLeaves: 64,
      maxDepth: 10,
      minDataInLeaf: 2,
      earlyStoppingRounds: 10,
      earlyStoppingMetric: 'logloss',
      threads: 1,
    });
    const losses = result.history.map((h) => h.validLoss);
    const best = losses.indexOf(Math.min(...losses));
    expect(result.bestIteration).toBe(best);
    expect(result.history.length).toBe(best + 11);
    expect(result.history.length).toBeLessThan(300);
    expect(result.model.trees).toHaveLength(best + 1);
    // The kept model's validation loss is the best one, computed independently.
    const scores = rawScores(result.model, valid);
    expect(logLoss(valid.labels, scores)).toBe(losses[best]);
  });

  it('early stopping on AUC keeps the best-AUC prefix of the longer run, as the replay predicts', async () => {
    const train = xorData(3000, 4, 0.3);
    const valid = xorData(3000, 5, 0.3);
    const params = { trees: 120, learningRate: 0.5, maxLeaves: 64, maxDepth: 10, minDataInLeaf: 2, threads: 1 };
    const long = await trainGbdt(train, valid, { ...params, earlyStoppingMetric: 'auc', earlyStoppingRounds: 0 });
    expect(long.model.trees).toHaveLength(120);
    const aucs = long.history.map((h) => h.validAuc as number);
    // Each recorded AUC is lib/metrics' AUC of the kept model's scores at that iteration.
    const prefix = (n: number) => ({ ...long.model, trees: long.model.trees.slice(0, n) });
    expect(auc(valid.labels, rawScores(prefix(7), valid))).toBe(aucs[6]);
    const replay = replayEarlyStopping(long.history, 'auc', 10);
    expect(replay.trained).toBeLessThan(120);
    const stopped = await trainGbdt(train, valid, { ...params, earlyStoppingMetric: 'auc', earlyStoppingRounds: 10 });
    expect(stopped.history).toEqual(long.history.slice(0, replay.trained));
    expect(stopped.bestIteration + 1).toBe(replay.kept);
    expect(aucs[stopped.bestIteration]).toBe(Math.max(...aucs.slice(0, replay.trained)));
    expect(JSON.stringify(stopped.model)).toBe(JSON.stringify(prefix(replay.kept)));
  });

  it('refuses to stop on AUC when the validation rows have one class', async () => {
    const train = xorData(2000, 4);
    const valid = { ...xorData(100, 5), labels: new Uint8Array(100) };
    await expect(trainGbdt(train, valid, { trees: 3, earlyStoppingMetric: 'auc', threads: 1 })).rejects.toThrow(
      'validation AUC is undefined',
    );
  });

  it('predictRawRow agrees exactly with the booster’s internal predictions', async () => {
    const train = xorData(4000, 6);
    const valid = xorData(1000, 7);
    const result = await trainGbdt(train, valid, { trees: 25, maxLeaves: 31, earlyStoppingRounds: 0, threads: 1 });
    expect(result.model.trees).toHaveLength(25);
    // Internal validation scores (binned traversal, summed in tree order) give this loss.
    expect(logLoss(valid.labels, rawScores(result.model, valid))).toBe(result.history[24].validLoss);
    // The fast matrix predictor gives the same numbers.
    expect(Array.from(predictRawMatrix(result.model, valid.values, valid.cols))).toEqual(
      Array.from(rawScores(result.model, valid)),
    );
    expect(Array.from(predictProbaMatrix(result.model, valid.values, valid.cols))).toEqual(
      Array.from(predictProba(result.model, valid.values, valid.cols)),
    );
    // And the training scores kept by the shards.
    let trainLoss: number | undefined;
    await trainGbdt(
      train,
      null,
      { trees: 25, maxLeaves: 31, threads: 1 },
      { onProgress: (p) => (trainLoss = p.trainLoss ?? trainLoss) },
    );
    expect(trainLoss).toBeCloseTo(logLoss(train.labels, rawScores(result.model, train)), 12);
    for (const tree of result.model.trees) for (const t of tree.threshold) expect(Math.fround(t)).toBe(t);
  });

  it('is deterministic: same seed gives identical JSON, and 1 thread equals 2 threads', async () => {
    const train = xorData(30_000, 8);
    const valid = xorData(2000, 9);
    const params = {
      trees: 12,
      maxLeaves: 63,
      maxDepth: 8,
      minDataInLeaf: 5,
      binSampleRows: 5000,
      seed: 3,
      earlyStoppingRounds: 0,
    };
    const a = await trainGbdt(train, valid, { ...params, threads: 1 });
    const b = await trainGbdt(train, valid, { ...params, threads: 1 });
    const c = await trainGbdt(train, valid, { ...params, threads: 2 });
    const d = await trainGbdt(train, valid, { ...params, threads: 3 });
    expect(JSON.stringify(b.model)).toBe(JSON.stringify(a.model));
    expect(JSON.stringify(c.model)).toBe(JSON.stringify(a.model));
    expect(JSON.stringify(d.model)).toBe(JSON.stringify(a.model));
    expect(c.history).toEqual(a.history);
    const e = await trainGbdt(train, valid, { ...params, seed: 4, threads: 1 });
    expect(JSON.stringify(e.model)).not.toBe(JSON.stringify(a.model));
  });

  it('stops its worker threads when training fails', async () => {
    const train = xorData(20_000, 13);
    const failing = trainGbdt(
      train,
      null,
      { trees: 5, threads: 2 },
      {
        onProgress: () => {
          throw new Error('stop here');
        },
      },
    );
    await expect(failing).rejects.toThrow('stop here');
    // Training again works (nothing is left waiting on the old mailbox).
    const { model } = await trainGbdt(train, null, { trees: 2, threads: 2 });
    expect(model.trees).toHaveLength(2);
  });

  it('respects maxDepth, maxLeaves, minDataInLeaf and minChildWeight', async () => {
    const train = xorData(5000, 10, 0.2);
    const cases = [
      { maxDepth: 3, maxLeaves: 1000, minDataInLeaf: 0, minChildWeight: 0 },
      { maxDepth: 20, maxLeaves: 7, minDataInLeaf: 0, minChildWeight: 0 },
      { maxDepth: 20, maxLeaves: 200, minDataInLeaf: 150, minChildWeight: 0 },
      { maxDepth: 20, maxLeaves: 200, minDataInLeaf: 0, minChildWeight: 40 },
    ];
    for (const limits of cases) {
      const { model } = await trainGbdt(train, null, { ...limits, trees: 3, learningRate: 0.3, threads: 1 });
      const first = model.trees[0];
      for (const tree of model.trees) {
        expect(maxDepthOf(tree)).toBeLessThanOrEqual(limits.maxDepth);
        expect(tree.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(limits.maxLeaves);
        const counts = new Map<number, number>();
        for (let r = 0; r < train.rows; r++) {
          const { node } = leafOf(tree, train.values.subarray(r * train.cols, (r + 1) * train.cols));
          counts.set(node, (counts.get(node) ?? 0) + 1);
        }
        expect(counts.size).toBe(tree.feature.filter((f) => f < 0).length);
        for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(Math.max(1, limits.minDataInLeaf));
        if (tree === first && limits.minChildWeight > 0) {
          // First tree: every row has hessian p0(1 - p0) at the base score.
          const p0 = 1 / (1 + Math.exp(-model.baseScore));
          for (const n of counts.values())
            expect(n * p0 * (1 - p0)).toBeGreaterThanOrEqual(limits.minChildWeight * (1 - 1e-6));
        }
      }
      // The limits actually bind (the trees are not trivially small).
      expect(first.feature.filter((f) => f < 0).length).toBeGreaterThan(1);
    }
  });
});
