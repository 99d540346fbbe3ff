/**
 * One replica's online quality over its last `window` outcomes (the `online_*` gauges and the
 * feedback response): handy with a single replica and no Prometheus. The figures come from the
 * same functions as the card and the gate (lib/metrics/classification.ts). Across replicas use the
 * `feedback_*` counters instead: these gauges cannot be summed or averaged.
 */
import { DELAY_THRESHOLD_MINUTES } from '../lib/data/flights.ts';
import { alertBudget, auc } from '../lib/metrics/classification.ts';

export interface QualitySnapshot {
  /** Outcomes received in total (matched ones). */
  total: number;
  /** Pairs in the window. */
  rows: number;
  positives: number;
  delayedRate: number | null;
  flagRate: number | null;
  /** null while the window lacks either class. */
  auc: number | null;
  recallAtBudget: number | null;
  precisionAtBudget: number | null;
  recallAtThreshold: number | null;
}

const orNull = (value: number) => (Number.isNaN(value) ? null : value);

/** A ring buffer of (score, label, flagged); figures computed on demand and cached until the next outcome. */
export class OnlineQuality {
  readonly window: number;
  readonly budget: number;
  readonly #scores: Float64Array;
  readonly #labels: Uint8Array;
  readonly #flags: Uint8Array;
  #next = 0;
  #size = 0;
  #total = 0;
  #cache: QualitySnapshot | null = null;

  constructor(window: number, budget = 0.2) {
    if (!Number.isInteger(window) || window < 1)
      throw new Error(`online quality window must be a positive integer, got ${window}`);
    if (!(budget > 0 && budget <= 1)) throw new Error(`alert budget must be in (0, 1], got ${budget}`);
    this.window = window;
    this.budget = budget;
    this.#scores = new Float64Array(window);
    this.#labels = new Uint8Array(window);
    this.#flags = new Uint8Array(window);
  }

  add(probability: number, delayMinutes: number, flagged: boolean): void {
    this.#scores[this.#next] = probability;
    this.#labels[this.#next] = delayMinutes > DELAY_THRESHOLD_MINUTES ? 1 : 0;
    this.#flags[this.#next] = flagged ? 1 : 0;
    this.#next = (this.#next + 1) % this.window;
    this.#size = Math.min(this.#size + 1, this.window);
    this.#total++;
    this.#cache = null;
  }

  snapshot(): QualitySnapshot {
    if (this.#cache) return this.#cache;
    const n = this.#size;
    const scores = this.#scores.subarray(0, n);
    const labels = this.#labels.subarray(0, n);
    let positives = 0;
    let flagged = 0;
    let flaggedPositives = 0;
    for (let i = 0; i < n; i++) {
      positives += labels[i];
      flagged += this.#flags[i];
      flaggedPositives += this.#flags[i] & labels[i];
    }
    const budgeted = n > 0 ? alertBudget(labels, scores, this.budget) : null;
    this.#cache = {
      total: this.#total,
      rows: n,
      positives,
      delayedRate: n > 0 ? positives / n : null,
      flagRate: n > 0 ? flagged / n : null,
      auc: n > 0 ? orNull(auc(labels, scores)) : null,
      recallAtBudget: budgeted ? orNull(budgeted.recall) : null,
      precisionAtBudget: budgeted ? orNull(budgeted.precision) : null,
      recallAtThreshold: positives > 0 ? flaggedPositives / positives : null,
    };
    return this.#cache;
  }
}
