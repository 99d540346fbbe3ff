/**
 * Joining real outcomes to recent predictions, and online quality from the joined pairs.
 *
 * PredictionLog keeps the last `capacity` scored rows (oldest evicted first). Looking a prediction
 * up by flight needs an index keyed by flight; it is built lazily on the feedback path, so a
 * prediction costs one map insert, not one per row.
 */
import { departureMinutes } from '../lib/features/flight-features.ts';
import type { RawFlight } from '../lib/features/spec.ts';
import { DELAY_THRESHOLD_MINUTES } from '../lib/data/flights.ts';

interface LoggedRequest {
  requestId: string;
  version: string;
  threshold: number;
  flights: readonly RawFlight[];
  probabilities: Float32Array;
  /** Rows that already have an outcome (a second report for the same row is refused). */
  answered: Uint8Array | null;
}

export interface LoggedPrediction {
  requestId: string;
  index: number;
  version: string;
  probability: number;
  flagged: boolean;
  flight: RawFlight;
}

export type FeedbackLookup = { found: true; prediction: LoggedPrediction; duplicate: boolean } | { found: false };

export class PredictionLog {
  readonly capacity: number;
  /** Oldest first; `head` is the first live entry (compacted now and then). */
  #queue: LoggedRequest[] = [];
  #head = 0;
  #rows = 0;
  readonly #byRequest = new Map<string, LoggedRequest>();
  readonly #byFlight = new Map<string, { entry: LoggedRequest; index: number }>();
  /** Entries from #queue[#indexed] on are not in #byFlight yet. */
  #indexed = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`prediction log capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get rows(): number {
    return this.#rows;
  }

  record(requestId: string, version: string, threshold: number, flights: readonly RawFlight[], probabilities: Float32Array): void {
    const entry: LoggedRequest = { requestId, version, threshold, flights, probabilities, answered: null };
    this.#queue.push(entry);
    this.#byRequest.set(requestId, entry);
    this.#rows += flights.length;
    while (this.#rows > this.capacity && this.#head < this.#queue.length) this.#evictOldest();
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#indexed = Math.max(0, this.#indexed - this.#head);
      this.#head = 0;
    }
  }

  #evictOldest(): void {
    const entry = this.#queue[this.#head];
    this.#queue[this.#head] = undefined as unknown as LoggedRequest;
    this.#head++;
    this.#rows -= entry.flights.length;
    if (this.#byRequest.get(entry.requestId) === entry) this.#byRequest.delete(entry.requestId);
    if (this.#indexed < this.#head) this.#indexed = this.#head;
    else {
      for (let i = 0; i < entry.flights.length; i++) {
        const key = keyOf(entry.flights[i]);
        if (this.#byFlight.get(key)?.entry === entry) this.#byFlight.delete(key);
      }
    }
  }

  /** Marks the row answered and returns it; `duplicate` when it already had an outcome. */
  claimByRequest(requestId: string, index: number): FeedbackLookup {
    const entry = this.#byRequest.get(requestId);
    if (!entry || index >= entry.flights.length) return { found: false };
    return claim(entry, index);
  }

  /** The latest prediction for this flight (departure, origin, destination). */
  claimByFlight(departure: string, origin: string, destination: string): FeedbackLookup {
    for (; this.#indexed < this.#queue.length; this.#indexed++) {
      const entry = this.#queue[this.#indexed];
      for (let i = 0; i < entry.flights.length; i++) this.#byFlight.set(keyOf(entry.flights[i]), { entry, index: i });
    }
    const hit = this.#byFlight.get(flightKey(departure, origin, destination));
    return hit ? claim(hit.entry, hit.index) : { found: false };
  }
}

function claim(entry: LoggedRequest, index: number): FeedbackLookup {
  entry.answered ??= new Uint8Array(entry.flights.length);
  const duplicate = entry.answered[index] === 1;
  entry.answered[index] = 1;
  const probability = entry.probabilities[index];
  return {
    found: true,
    duplicate,
    prediction: {
      requestId: entry.requestId,
      index,
      version: entry.version,
      probability,
      flagged: probability >= entry.threshold,
      flight: entry.flights[index],
    },
  };
}

/** Departure normalised to minutes, so `17:35` and `17:35:00` are the same flight. */
export function flightKey(departure: string, origin: string, destination: string): string {
  return `${departureMinutes(departure)}|${origin}|${destination}`;
}

function keyOf(flight: RawFlight): string {
  return flightKey(flight.departure, flight.origin, flight.destination);
}

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

/** Online quality over the last `window` outcomes: a ring buffer of (score, label, flagged). */
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
    if (!Number.isInteger(window) || window < 1) throw new Error(`online quality window must be a positive integer, got ${window}`);
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

  /** Figures over the window; computed on demand (a scrape), cached until the next outcome. */
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
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
    const snapshot: QualitySnapshot = {
      total: this.#total,
      rows: n,
      positives,
      delayedRate: n > 0 ? positives / n : null,
      flagRate: n > 0 ? flagged / n : null,
      auc: rocAuc(scores, labels, order),
      recallAtBudget: null,
      precisionAtBudget: null,
      recallAtThreshold: positives > 0 ? flaggedPositives / positives : null,
    };
    if (n > 0) {
      const k = Math.max(1, Math.round(n * this.budget));
      let caught = 0;
      for (let i = 0; i < k; i++) caught += labels[order[i]];
      snapshot.precisionAtBudget = caught / k;
      snapshot.recallAtBudget = positives > 0 ? caught / positives : null;
    }
    this.#cache = snapshot;
    return snapshot;
  }
}

/**
 * ROC AUC by ranks (Mann–Whitney U); tied scores share their average rank. `order` sorts rows by
 * score, descending. null when one class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>, order: readonly number[]): number | null {
  const n = order.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  // Ascending ranks: row order[n-1] has rank 1.
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    // Positions i..j (descending) are ranks n-j .. n-i ascending; average them.
    const rank = (n - j + (n - i)) / 2;
    for (let t = i; t <= j; t++) if (labels[order[t]]) rankSum += rank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
