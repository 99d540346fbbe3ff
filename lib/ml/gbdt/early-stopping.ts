/**
 * When to stop boosting: the validation metric's best iteration and the patience after it.
 *
 * One rule for the booster (live, tree by tree) and for `npm run bench:early-stopping` (replayed
 * over the history of a run without early stopping). Boosting never depends on the stopping rule,
 * so a model stopped at iteration k is exactly the first k + 1 trees of the longer run, and the
 * replay gives the same trees as training with the rule.
 */

/**
 * `auc`: rank AUC of the validation scores (higher is better); `logloss`: validation log loss
 * (lower is better). A rank metric does not react to the calibration drift of a validation week
 * that log loss sees first (measured in README "The model and its data").
 */
export type EarlyStoppingMetric = 'auc' | 'logloss';
export const EARLY_STOPPING_METRICS: readonly EarlyStoppingMetric[] = ['auc', 'logloss'];

/** The validation figures after one boosting iteration (0-based). */
export interface ValidationPoint {
  iteration: number;
  validLoss: number;
  /** Present when the run stops on AUC. */
  validAuc?: number;
}

export function metricValue(point: ValidationPoint, metric: EarlyStoppingMetric): number {
  const value = metric === 'auc' ? point.validAuc : point.validLoss;
  if (value === undefined || Number.isNaN(value))
    throw new Error(`gbdt: validation ${metric} is undefined at iteration ${point.iteration}`);
  return value;
}

/** Tracks the best iteration; only a strict improvement counts, so ties keep the smaller model. */
export class EarlyStopping {
  bestIteration = -1;
  private best = Number.NaN;

  readonly metric: EarlyStoppingMetric;
  /** Iterations without improvement before stopping; 0 = never stop. */
  readonly rounds: number;

  constructor(metric: EarlyStoppingMetric, rounds: number) {
    this.metric = metric;
    this.rounds = rounds;
  }

  /** Records one iteration; true when training should stop after it. */
  update(point: ValidationPoint): boolean {
    const value = metricValue(point, this.metric);
    const better = this.bestIteration < 0 || (this.metric === 'auc' ? value > this.best : value < this.best);
    if (better) {
      this.best = value;
      this.bestIteration = point.iteration;
    }
    return this.rounds > 0 && point.iteration - this.bestIteration >= this.rounds;
  }
}

export interface ReplayResult {
  /** Trees the rule keeps (bestIteration + 1; every tree of the history when rounds is 0). */
  kept: number;
  /** Trees trained before the rule stopped. */
  trained: number;
}

/** The rule applied to a recorded history (iterations 0, 1, … in order), as trainGbdt applies it. */
export function replayEarlyStopping(
  history: readonly ValidationPoint[],
  metric: EarlyStoppingMetric,
  rounds: number,
): ReplayResult {
  const rule = new EarlyStopping(metric, rounds);
  for (const point of history) {
    if (rule.update(point)) return { kept: rule.bestIteration + 1, trained: point.iteration + 1 };
  }
  return { kept: rounds > 0 ? rule.bestIteration + 1 : history.length, trained: history.length };
}
