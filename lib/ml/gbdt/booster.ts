/**
 * Gradient boosting of leaf-wise histogram trees on the binary logistic objective.
 *
 * Pipeline per run: bin edges from a seeded sample (binning.ts) → uint8 bin matrix in shared
 * memory → per tree: gradients + root histogram (shard.ts, all threads), leaf-wise growth
 * (tree-learner.ts) with one partition+histogram job per split (pool.ts), shrinkage, validation
 * AUC (or log loss) for early stopping (early-stopping.ts). The model keeps raw float32 thresholds
 * taken from the bin edges.
 *
 * Deterministic: the only randomness is the seeded binning sample, and histogram sums are exact
 * (objective.ts), so the same data, params and seed give the same model for any `threads`.
 */
import os from 'node:os';
import { auc } from '../../metrics/classification.ts';
import type { Matrix } from '../matrix.ts';
import { type BinMapper, MAX_BINS, binMatrix, computeBinMapper } from './binning.ts';
import { histogramLayout, recordLayout } from './histogram.ts';
import type { GbdtModel, Tree } from './model.ts';
import { baseScore, gradientScale, logLoss } from './objective.ts';
import { CONTROL_SLOTS, ShardPool } from './pool.ts';
import { SHARDS, type SharedTrainState, binScratchSize, fillRecords, scratchSize, shardRegions } from './shard.ts';
import {
  EARLY_STOPPING_METRICS,
  EarlyStopping,
  type EarlyStoppingMetric,
  type ValidationPoint,
} from './early-stopping.ts';
import { kernelModules, sharedMemory, wasmKernels } from './wasm-kernels.ts';
import { type BinnedTree, type TreeParams, TreeWorkspace, growTree } from './tree-learner.ts';

/** Tree shape and regularisation (TreeParams: maxDepth, maxLeaves, minChildWeight, minDataInLeaf, lambda, minGainToSplit) plus boosting. */
export interface GbdtParams extends TreeParams {
  /** Maximum number of trees (boosting rounds). */
  trees: number;
  learningRate: number;
  /** Bins per feature, at most 255. */
  maxBins: number;
  /** Rows sampled to find bin edges. */
  binSampleRows: number;
  /** Stop when the validation metric has not improved for this many trees (0 = never). */
  earlyStoppingRounds: number;
  /** What early stopping watches on the validation rows. */
  earlyStoppingMetric: EarlyStoppingMetric;
  seed: number;
  /** Threads for the row work, including the calling thread. Does not change the model. */
  threads: number;
}

/**
 * Measured with `npm run bench:train` (Jan 1 – Apr 23 2001, 1.86M rows, the project's 13
 * features): May AUC 0.740, June AUC 0.750 with 250 trees, 22–45 s on the 2-core machine depending
 * on its load (400 trees at 0.2 reached 0.753 / 0.760 in 39–48 s; the lighter setting keeps a
 * margin under the 60 s budget on a busy machine). Histograms without counts (minDataInLeaf 0,
 * minChildWeight instead) are faster.
 *
 * Early stopping: validation AUC with patience 100. `npm run bench:early-stopping` (asOf 2001-03-01,
 * 04-01, 05-01, 06-01) found evaluation-week AUC still rising at 250 trees on every date, while
 * validation log loss (patience 30: 6 and 32 trees on two dates) and even validation AUC with
 * patience 30 or 50 (32 trees on 2001-05-01) stop at a wiggle of one drifting week: mean AUC
 * 0.7324 / 0.7479 against 0.7594 for patience 100, which kept all 250 trees on every date.
 */
export const DEFAULT_GBDT_PARAMS: GbdtParams = {
  trees: 250,
  learningRate: 0.25,
  maxDepth: 10,
  maxLeaves: 255,
  minChildWeight: 10,
  minDataInLeaf: 0,
  lambda: 1,
  minGainToSplit: 0,
  maxBins: 255,
  binSampleRows: 200_000,
  earlyStoppingRounds: 100,
  earlyStoppingMetric: 'auc',
  seed: 1,
  threads: defaultThreads(),
};

export function defaultThreads(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

export interface GbdtProgress {
  /** 0-based. */
  iteration: number;
  trees: number;
  trainLoss?: number;
  validLoss?: number;
  validAuc?: number;
  elapsedMs: number;
}

export interface GbdtHooks {
  onProgress?(p: GbdtProgress): void;
}

export interface GbdtTrainResult {
  model: GbdtModel;
  /**
   * 0-based iteration of the best validation metric (XGBoost's convention); the model keeps
   * bestIteration + 1 trees. Without validation (or early stopping off): the last iteration.
   */
  bestIteration: number;
  /** Validation log loss (and AUC when stopping on it) after each iteration (0-based). */
  history: ValidationPoint[];
  timings: Record<string, number>;
}

/** Largest leaf count the learner supports (histogram buffers are allocated per leaf). */
export const MAX_LEAVES = 4096;

export function resolveParams(params: Partial<GbdtParams>): GbdtParams {
  const p: GbdtParams = { ...DEFAULT_GBDT_PARAMS, ...params };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`gbdt: invalid ${what}`);
  };
  check(Number.isInteger(p.trees) && p.trees >= 0, `trees ${p.trees}`);
  check(p.learningRate > 0, `learningRate ${p.learningRate}`);
  check(Number.isInteger(p.maxDepth) && p.maxDepth >= 0, `maxDepth ${p.maxDepth}`);
  check(Number.isInteger(p.maxLeaves) && p.maxLeaves >= 1 && p.maxLeaves <= MAX_LEAVES, `maxLeaves ${p.maxLeaves}`);
  check(p.minChildWeight >= 0 && p.minDataInLeaf >= 0 && p.lambda >= 0 && p.minGainToSplit >= 0, 'regularisation');
  check(Number.isInteger(p.maxBins) && p.maxBins >= 2 && p.maxBins <= MAX_BINS, `maxBins ${p.maxBins}`);
  check(Number.isInteger(p.threads) && p.threads >= 1, `threads ${p.threads}`);
  check(
    Number.isInteger(p.earlyStoppingRounds) && p.earlyStoppingRounds >= 0,
    `earlyStoppingRounds ${p.earlyStoppingRounds}`,
  );
  check(EARLY_STOPPING_METRICS.includes(p.earlyStoppingMetric), `earlyStoppingMetric ${p.earlyStoppingMetric}`);
  return p;
}

function sharedArray<T>(ctor: new (buffer: SharedArrayBuffer) => T, bytes: number): T {
  return new ctor(new SharedArrayBuffer(Math.max(8, bytes)));
}

/** Trains a binary classifier; see the module comment. */
export async function trainGbdt(
  train: Matrix,
  validation: Matrix | null,
  params: Partial<GbdtParams>,
  hooks: GbdtHooks = {},
): Promise<GbdtTrainResult> {
  const p = resolveParams(params);
  const started = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => {
    timings[name] = (timings[name] ?? 0) + (performance.now() - since);
  };
  const { rows, cols } = train;
  if (rows === 0) throw new Error('gbdt: no training rows');
  if (validation && validation.cols !== cols) throw new Error('gbdt: validation has a different number of columns');
  const withAuc = validation !== null && p.earlyStoppingMetric === 'auc';
  if (withAuc) {
    let positives = 0;
    for (let i = 0; i < validation.rows; i++) positives += validation.labels[i];
    if (positives === 0 || positives === validation.rows)
      throw new Error(
        'gbdt: validation AUC is undefined (the validation rows have one class); stop on logloss instead',
      );
  }

  let t = performance.now();
  const mapper = computeBinMapper(train, { maxBins: p.maxBins, sampleRows: p.binSampleRows, seed: p.seed });
  const validBins = validation ? binMatrix(validation, mapper) : null;

  const participants = Math.max(1, Math.min(p.threads, 64, Math.ceil(rows / 8192)));
  const withCounts = p.minDataInLeaf > 1;
  const layout = histogramLayout(mapper.numBins, withCounts);
  const maxLeaves = p.maxLeaves;
  const base = baseScore(train.labels);
  const rec = recordLayout(cols);
  // Records from byte 0, then one histogram scratch area per thread (shard.ts).
  const scratchAt = Math.ceil((rows * rec.bytes) / 64) * 64;
  const scratchBytes = scratchSize(layout);
  // (The binning scratch reuses the histogram scratch areas: they are free until training starts.)
  const memory = sharedMemory(scratchAt + Math.max(participants * scratchBytes, binScratchSize(cols)));
  const records = memory.buffer;
  const state: SharedTrainState = {
    rows,
    cols,
    participants,
    shards: SHARDS,
    maxLeaves,
    scale: gradientScale(rows),
    withCounts,
    numBins: mapper.numBins,
    memory,
    modules: kernelModules(),
    scratchAt,
    scratchBytes,
    u8: new Uint8Array(records),
    i32: new Int32Array(records),
    f64: new Float64Array(records),
    regionStart: shardRegions(rows, SHARDS),
    segments: sharedArray(Int32Array, SHARDS * maxLeaves * 8),
    leafValues: sharedArray(Float64Array, maxLeaves * 8),
    virtual: sharedArray(Int32Array, maxLeaves * 12).fill(-1),
    control: sharedArray(Int32Array, CONTROL_SLOTS * 4),
    errorText: sharedArray(Uint8Array, 4096),
  };
  const validScores = validation ? new Float64Array(validation.rows).fill(base) : null;
  const trees: BinnedTree[] = [];
  const treeValues: Float64Array[] = [];
  const history: ValidationPoint[] = [];
  const stopping = new EarlyStopping(p.earlyStoppingMetric, validation ? p.earlyStoppingRounds : 0);
  let bestIteration = -1;
  const pool = new ShardPool(state, layout);
  try {
    // The workers load while this thread bins the rows.
    const starting = pool.start();
    starting.catch(() => {});
    fillRecords(
      state,
      wasmKernels(state.modules, memory, layout, rec),
      train.values,
      train.labels,
      mapper,
      base,
      scratchAt,
    );
    lap('binning', t);
    t = performance.now();
    await starting;
    lap('workers', t);
    const workspace = new TreeWorkspace(layout, maxLeaves);
    let pending = 0;
    for (let iteration = 0; iteration < p.trees; iteration++) {
      t = performance.now();
      workspace.reset();
      const rootSlot = workspace.alloc();
      const [g, h] = pool.startTree(pending, workspace.buffer(rootSlot));
      pending = 0;
      lap('gradients', t);
      t = performance.now();
      const tree = growTree(workspace, p, state.scale, pool, rootSlot, g, h, rows);
      lap('grow', t);
      const values = new Float64Array(tree.numLeaves);
      for (let l = 0; l < tree.numLeaves; l++) {
        values[l] = p.learningRate * tree.leafWeights[l];
        state.leafValues[l] = values[l];
      }
      pending = tree.numLeaves;
      trees.push(tree);
      treeValues.push(values);

      let point: ValidationPoint | undefined;
      let stop = false;
      if (validation && validBins && validScores) {
        t = performance.now();
        addTreeScores(tree, values, validBins, cols, validScores);
        point = { iteration, validLoss: logLoss(validation.labels, validScores) };
        // AUC of the raw scores: the sigmoid keeps the order (and would merge near-equal scores).
        if (withAuc) point.validAuc = auc(validation.labels, validScores);
        history.push(point);
        stop = stopping.update(point);
        bestIteration = stopping.bestIteration;
        lap('validation', t);
      } else {
        bestIteration = iteration;
      }
      const last = stop || iteration === p.trees - 1;
      if (hooks.onProgress) {
        let trainLoss: number | undefined;
        if ((iteration + 1) % 10 === 0 || last) {
          pool.applyTree(pending);
          pending = 0;
          trainLoss = recordsLogLoss(state);
        }
        hooks.onProgress({
          iteration,
          trees: trees.length,
          trainLoss,
          validLoss: point?.validLoss,
          validAuc: point?.validAuc,
          elapsedMs: performance.now() - started,
        });
      }
      if (stop) break;
    }
  } finally {
    await pool.close();
  }
  if (!validation || p.earlyStoppingRounds <= 0) bestIteration = trees.length - 1;

  const model: GbdtModel = {
    kind: 'gbdt',
    baseScore: base,
    trees: trees.slice(0, bestIteration + 1).map((tree, i) => toModelTree(tree, treeValues[i], mapper)),
    featureNames: [...train.featureNames],
  };
  timings.total = performance.now() - started;
  return { model, bestIteration, history, timings };
}

/** Mean training log loss from the records (for progress reports only). */
function recordsLogLoss(state: SharedTrainState): number {
  const rec = recordLayout(state.cols);
  const labels = new Uint8Array(state.rows);
  const scores = new Float64Array(state.rows);
  for (let i = 0; i < state.rows; i++) {
    labels[i] = state.u8[i * rec.bytes + rec.labelByte];
    scores[i] = state.f64[i * (rec.bytes / 8) + rec.scoreSlot];
  }
  return logLoss(labels, scores);
}

/** Adds one binned tree's leaf values to the scores of a binned matrix. */
export function addTreeScores(
  tree: BinnedTree,
  values: Float64Array,
  bins: Uint8Array,
  cols: number,
  scores: Float64Array,
): void {
  const { feature, bin, left, right, leafId } = tree;
  const rows = scores.length;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let node = 0;
    let f = feature[0];
    while (f >= 0) {
      node = bins[base + f] <= bin[node] ? left[node] : right[node];
      f = feature[node];
    }
    scores[r] += values[leafId[node]];
  }
}

/** Bin form → model form: thresholds become the raw float32 bin edges (x < t ⇔ bin <= b). */
export function toModelTree(tree: BinnedTree, values: Float64Array, mapper: BinMapper): Tree {
  const out: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  for (let n = 0; n < tree.nodes; n++) {
    const f = tree.feature[n];
    if (f >= 0) {
      out.feature.push(f);
      out.threshold.push(mapper.thresholds[f][tree.bin[n]]);
      out.left.push(tree.left[n]);
      out.right.push(tree.right[n]);
      out.value.push(0);
    } else {
      out.feature.push(-1);
      out.threshold.push(0);
      out.left.push(-1);
      out.right.push(-1);
      out.value.push(values[tree.leafId[n]]);
    }
  }
  return out;
}
