/**
 * Paired bootstrap of "candidate minus champion" on the same rows: is the candidate really better,
 * or just lucky on this week? Each iteration resamples rows with Poisson(1) weights (the same
 * weights for both models, hence paired) and recomputes both metrics.
 *
 * Speed: each model's scores are sorted once; a weighted metric is then one O(n) branch-free pass
 * over that order (plus one over tied groups). Weights live in a layout where both models' passes
 * read nearby memory.
 */
import { createPoissonOneStream } from '../util/random.ts';
import { budgetCount } from './classification.ts';
import { scoreOrder } from './sort-order.ts';

export type BootstrapMetric = 'auc' | 'recallAtBudget';

export interface BootstrapOptions {
  metric: BootstrapMetric;
  /** Resamples; default 1000. */
  iterations?: number;
  seed: number;
  /** Alert budget for `recallAtBudget`; default 0.2. */
  budget?: number;
}

export interface BootstrapResult {
  metric: BootstrapMetric;
  /** Metrics on the rows as given (not resampled). */
  candidate: number;
  champion: number;
  delta: number;
  /** 2.5th and 97.5th percentiles of the resampled deltas. */
  lo: number;
  hi: number;
  /** Resamples that gave a defined delta (a resample with one class has no AUC). */
  iterations: number;
}

/**
 * One model's scores prepared for weighted passes. The `weights` passed to the passes are indexed
 * by "slot": the row index, unless `withSlots` placed them in another layout.
 */
export interface RankedScores {
  /** AUC order: ascending score, positives before negatives within a tie. Slot per position. */
  aucSlots: Uint32Array;
  aucLabels: Uint8Array;
  /** [start, end) AUC positions of every tie group holding both labels: the only source of ties. */
  mixedGroups: Uint32Array;
  /** Riskiest first, ties by lower row index (the alert-budget order). Slot per position. */
  budgetSlots: Uint32Array;
  budgetLabels: Uint8Array;
}

export function rankScores(labels: Uint8Array, scores: ArrayLike<number>): RankedScores {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`labels have ${n} rows but scores have ${scores.length}`);
  const order = scoreOrder(scores);
  const budgetSlots = new Uint32Array(n);
  const budgetLabels = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const row = order[n - 1 - j];
    budgetSlots[j] = row;
    budgetLabels[j] = labels[row];
  }
  const aucSlots = new Uint32Array(n);
  const aucLabels = new Uint8Array(n);
  const mixed: number[] = [];
  let j = 0;
  while (j < n) {
    let end = j;
    const score = scores[order[j]];
    let groupPositives = 0;
    while (end < n && scores[order[end]] === score) groupPositives += labels[order[end++]];
    if (groupPositives > 0 && groupPositives < end - j) mixed.push(j, end);
    // Positives first within a tie group, so a positive's running negative weight is "strictly below".
    let at = j;
    for (let wanted = 1; wanted >= 0; wanted--) {
      for (let k = j; k < end; k++) {
        const row = order[k];
        if (labels[row] !== wanted) continue;
        aucSlots[at] = row;
        aucLabels[at++] = wanted;
      }
    }
    j = end;
  }
  return { aucSlots, aucLabels, mixedGroups: Uint32Array.from(mixed), budgetSlots, budgetLabels };
}

/** The same ranking reading weights from `slotOfRow[row]` instead of `row`. */
export function withSlots(ranked: RankedScores, slotOfRow: Uint32Array): RankedScores {
  const remap = (slots: Uint32Array) => slots.map((row) => slotOfRow[row]);
  return { ...ranked, aucSlots: remap(ranked.aucSlots), budgetSlots: remap(ranked.budgetSlots) };
}

/** AUC with integer weights (weight w counts as w copies of the row); NaN with one class. */
export function weightedAuc(ranked: RankedScores, weights: Uint8Array): number {
  const { aucSlots: slots, aucLabels: labels, mixedGroups } = ranked;
  let pairs = 0;
  let negatives = 0;
  let positives = 0;
  // Masks instead of branches: labels are unpredictable. Positives precede tied negatives, so
  // `negatives` counts only strictly lower scores here.
  for (let j = 0; j < slots.length; j++) {
    const w = weights[slots[j]];
    const wy = w & -labels[j];
    pairs += wy * negatives;
    negatives += w - wy;
    positives += wy;
  }
  if (positives === 0 || negatives === 0) return Number.NaN;
  let ties = 0;
  for (let g = 0; g < mixedGroups.length; g += 2) {
    let groupPositives = 0;
    let groupNegatives = 0;
    for (let k = mixedGroups[g]; k < mixedGroups[g + 1]; k++) {
      const w = weights[slots[k]];
      const wy = w & -labels[k];
      groupPositives += wy;
      groupNegatives += w - wy;
    }
    ties += groupPositives * groupNegatives;
  }
  return (pairs + 0.5 * ties) / (positives * negatives);
}

/**
 * Recall when the riskiest `budget` share of the weighted rows is flagged: copies of a row are
 * adjacent, so the boundary row may be flagged for only some of its copies. `totalWeight` and
 * `positiveWeight` are sums over all rows, computed once per resample by the caller.
 */
export function weightedRecallAtBudget(
  ranked: RankedScores,
  weights: Uint8Array,
  budget: number,
  totalWeight: number,
  positiveWeight: number,
): number {
  if (positiveWeight === 0) return Number.NaN;
  const { budgetSlots: slots, budgetLabels: labels } = ranked;
  const flagged = budgetCount(totalWeight, budget);
  let taken = 0;
  let caught = 0;
  for (let j = 0; j < slots.length && taken < flagged; j++) {
    const take = Math.min(weights[slots[j]], flagged - taken);
    taken += take;
    caught += take * labels[j];
  }
  return caught / positiveWeight;
}

/**
 * A weight layout where both models' AUC passes read nearby slots: rows sorted by (candidate
 * chunk, champion chunk, candidate position), so a chunk of either order touches a few cache lines.
 */
export function blockedSlots(candidate: RankedScores, champion: RankedScores): Uint32Array {
  const n = candidate.aucSlots.length;
  const chunkSize = Math.max(4096, Math.ceil(n / 1024));
  const chunks = Math.max(1, Math.ceil(n / chunkSize));
  const championChunk = new Uint32Array(n);
  for (let j = 0; j < n; j++) championChunk[champion.aucSlots[j]] = Math.floor(j / chunkSize);
  const keyOf = (j: number) => Math.floor(j / chunkSize) * chunks + championChunk[candidate.aucSlots[j]];
  const starts = new Uint32Array(chunks * chunks + 1);
  for (let j = 0; j < n; j++) starts[keyOf(j) + 1]++;
  for (let k = 1; k < starts.length; k++) starts[k] += starts[k - 1];
  const slotOfRow = new Uint32Array(n);
  for (let j = 0; j < n; j++) slotOfRow[candidate.aucSlots[j]] = starts[keyOf(j)]++;
  return slotOfRow;
}

export function pairedBootstrap(
  labels: Uint8Array,
  scoresCandidate: ArrayLike<number>,
  scoresChampion: ArrayLike<number>,
  options: BootstrapOptions,
): BootstrapResult {
  const { metric, seed } = options;
  const iterations = options.iterations ?? 1000;
  const budget = options.budget ?? 0.2;
  const n = labels.length;
  if (scoresCandidate.length !== n || scoresChampion.length !== n) {
    throw new Error(
      `pairedBootstrap: ${n} labels but ${scoresCandidate.length} candidate and ${scoresChampion.length} champion scores`,
    );
  }
  if (metric !== 'auc' && metric !== 'recallAtBudget')
    throw new Error(`pairedBootstrap: unknown metric ${JSON.stringify(metric)}`);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`pairedBootstrap: iterations must be a positive integer, got ${iterations}`);
  if (!Number.isFinite(seed)) throw new Error(`pairedBootstrap: seed must be a finite number, got ${seed}`);
  budgetCount(0, budget); // validates the budget
  for (let i = 0; i < n; i++) {
    if (labels[i] > 1) throw new Error(`labels[${i}] is ${labels[i]}, expected 0 or 1`);
  }

  const candidateByRow = rankScores(labels, scoresCandidate);
  const championByRow = rankScores(labels, scoresChampion);
  const slotOfRow = blockedSlots(candidateByRow, championByRow);
  const candidate = withSlots(candidateByRow, slotOfRow);
  const champion = withSlots(championByRow, slotOfRow);
  const slotLabels = new Uint8Array(n);
  for (let row = 0; row < n; row++) slotLabels[slotOfRow[row]] = labels[row];

  const weights = new Uint8Array(n);
  const measure = (ranked: RankedScores, total: number, positives: number) =>
    metric === 'auc' ? weightedAuc(ranked, weights) : weightedRecallAtBudget(ranked, weights, budget, total, positives);

  weights.fill(1);
  let labelPositives = 0;
  for (let i = 0; i < n; i++) labelPositives += labels[i];
  const candidateValue = measure(candidate, n, labelPositives);
  const championValue = measure(champion, n, labelPositives);

  // Rows are exchangeable, so drawing weights in slot order is the same resampling scheme.
  const draw = createPoissonOneStream(seed);
  const deltas = new Float64Array(iterations);
  let defined = 0;
  for (let it = 0; it < iterations; it++) {
    draw(weights);
    let total = 0;
    let positives = 0;
    if (metric === 'recallAtBudget') {
      for (let j = 0; j < n; j++) {
        total += weights[j];
        positives += weights[j] & -slotLabels[j];
      }
    }
    const delta = measure(candidate, total, positives) - measure(champion, total, positives);
    if (!Number.isNaN(delta)) deltas[defined++] = delta;
  }
  const sorted = deltas.subarray(0, defined).sort();
  return {
    metric,
    candidate: candidateValue,
    champion: championValue,
    delta: candidateValue - championValue,
    lo: quantile(sorted, 0.025),
    hi: quantile(sorted, 0.975),
    iterations: defined,
  };
}

/** Linear-interpolation quantile of ascending values (NaN when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) return Number.NaN;
  const h = (m - 1) * q;
  const below = Math.floor(h);
  const above = Math.min(m - 1, below + 1);
  return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
}
