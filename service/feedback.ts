/**
 * Joining real outcomes to recent predictions, and online quality from the joined pairs.
 *
 * PredictionLog keeps the last `capacity` scored rows in a ring of typed arrays — departure
 * minutes, airport codes packed into integers, probability, model, a 64-bit hash of the request
 * id — and finds requests through an open-addressing table over those arrays. Nothing per request
 * stays on the JS heap: at thousands of requests per second, retained per-request objects (even
 * just id strings in a Map) made garbage-collection pauses ten times longer. Looking a prediction up
 * by flight needs an index keyed by flight; it is built lazily on the feedback path.
 */
import { DELAY_THRESHOLD_MINUTES } from '../lib/data/flights.ts';
import type { RawFlight } from '../lib/features/spec.ts';
import { hash52 } from '../lib/util/hash.ts';
import { validDepartureMinutes } from './validation.ts';

export interface LoggedPrediction {
  /** The request id, when the lookup was by request id (ids are kept only as hashes). */
  requestId: string | null;
  index: number;
  version: string;
  probability: number;
  flagged: boolean;
}

export type FeedbackLookup = { found: true; prediction: LoggedPrediction; duplicate: boolean } | { found: false };

/** Three capital letters → 0 … 17575 (validation guarantees the shape). */
export function airportCode(iata: string): number {
  return ((iata.charCodeAt(0) - 65) * 26 + (iata.charCodeAt(1) - 65)) * 26 + (iata.charCodeAt(2) - 65);
}

function flightKeyOf(minutes: number, origin: number, destination: number): string {
  return `${minutes}|${origin}|${destination}`;
}

/** The 52-bit hash of a request id as two 32-bit halves (high 32, low 20 bits). */
function hashPair(text: string, out: Uint32Array): void {
  const h = hash52(text);
  out[0] = Math.floor(h / 0x100000);
  out[1] = h % 0x100000;
}

const EMPTY = -1;

export class PredictionLog {
  readonly capacity: number;
  readonly #minutes: Float64Array;
  readonly #origin: Uint16Array;
  readonly #destination: Uint16Array;
  readonly #probability: Float32Array;
  readonly #model: Uint16Array;
  readonly #answered: Uint8Array;
  /** At a request's first row: its row count and id hash (0 elsewhere). */
  readonly #rowsAt: Uint32Array;
  readonly #idA: Uint32Array;
  readonly #idB: Uint32Array;
  /** Open addressing, linear probing: ring position of a request's first row, or EMPTY. */
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #hash = new Uint32Array(2);
  /** Index into #versions of the model that scored each row. */
  readonly #versions: { version: string; threshold: number }[] = [];
  /** Lazily built: flight key → row number (see #written) of its latest prediction. */
  readonly #byFlight = new Map<string, number>();
  /** Rows written so far (ring position = written % capacity). */
  #written = 0;
  /** Rows from this count on are not in #byFlight yet. */
  #indexed = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`prediction log capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#minutes = new Float64Array(capacity);
    this.#origin = new Uint16Array(capacity);
    this.#destination = new Uint16Array(capacity);
    this.#probability = new Float32Array(capacity);
    this.#model = new Uint16Array(capacity);
    this.#answered = new Uint8Array(capacity);
    this.#rowsAt = new Uint32Array(capacity);
    this.#idA = new Uint32Array(capacity);
    this.#idB = new Uint32Array(capacity);
    // At most `capacity` requests, so the table stays at most half full.
    let size = 4;
    while (size < capacity * 2) size *= 2;
    this.#table = new Int32Array(size).fill(EMPTY);
    this.#mask = size - 1;
  }

  /** Rows currently kept. */
  get rows(): number {
    return Math.min(this.#written, this.capacity);
  }

  #versionIndex(version: string, threshold: number): number {
    for (let i = this.#versions.length - 1; i >= 0; i--) {
      const v = this.#versions[i];
      if (v.version === version && v.threshold === threshold) return i;
    }
    this.#versions.push({ version, threshold });
    return this.#versions.length - 1;
  }

  /** Table slot holding ring position `at`, or the empty slot where a new key with (a, b) goes. */
  #slot(a: number, b: number): number {
    let slot = a & this.#mask;
    for (;;) {
      const at = this.#table[slot];
      if (at === EMPTY || (this.#idA[at] === a && this.#idB[at] === b)) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Removes the request starting at ring position `at` from the table (backward-shift deletion). */
  #forget(at: number): void {
    let i = this.#slot(this.#idA[at], this.#idB[at]);
    if (this.#table[i] !== at) return;
    const table = this.#table;
    const mask = this.#mask;
    table[i] = EMPTY;
    for (let j = (i + 1) & mask; table[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.#idA[table[j]] & mask;
      // An entry may move back to i only if i lies cyclically between its home and j.
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      table[i] = table[j];
      table[j] = EMPTY;
      i = j;
    }
  }

  /**
   * Logs one request's rows (a request larger than the whole log is not kept). `minutes`: the
   * departures as validation computed them (validDepartureMinutes), so they are not parsed twice.
   */
  record(
    requestId: string,
    version: string,
    threshold: number,
    flights: readonly RawFlight[],
    probabilities: Float32Array,
    minutes?: Float64Array,
  ): void {
    const n = flights.length;
    if (n === 0 || n > this.capacity) return;
    const model = this.#versionIndex(version, threshold);
    const start = this.#written % this.capacity;
    for (let i = 0; i < n; i++) {
      const at = (this.#written + i) % this.capacity;
      // Overwriting the first row of an old request evicts that request.
      if (this.#rowsAt[at] !== 0) {
        this.#forget(at);
        this.#rowsAt[at] = 0;
      }
      const f = flights[i];
      this.#minutes[at] = minutes ? minutes[i] : validDepartureMinutes(f.departure);
      this.#origin[at] = airportCode(f.origin);
      this.#destination[at] = airportCode(f.destination);
      this.#probability[at] = probabilities[i];
      this.#model[at] = model;
      this.#answered[at] = 0;
    }
    hashPair(requestId, this.#hash);
    const a = this.#hash[0];
    const b = this.#hash[1];
    // A repeated id (only possible with client-chosen ids) now means the newer request.
    const slot = this.#slot(a, b);
    if (this.#table[slot] !== EMPTY) this.#forget(this.#table[slot]);
    this.#idA[start] = a;
    this.#idB[start] = b;
    this.#rowsAt[start] = n;
    this.#table[this.#slot(a, b)] = start;
    this.#written += n;
  }

  /** Marks the row answered and returns it; `duplicate` when it already had an outcome. */
  claimByRequest(requestId: string, index: number): FeedbackLookup {
    hashPair(requestId, this.#hash);
    const start = this.#table[this.#slot(this.#hash[0], this.#hash[1])];
    if (start === EMPTY || index >= this.#rowsAt[start]) return { found: false };
    return this.#claim(requestId, index, (start + index) % this.capacity);
  }

  /** The latest prediction for this flight (departure, origin, destination) still in the log. */
  claimByFlight(departure: string, origin: string, destination: string): FeedbackLookup {
    const cap = this.capacity;
    // Keys of overwritten rows linger until looked up; rebuild before the index outgrows the log.
    if (this.#byFlight.size > 2 * cap) {
      this.#byFlight.clear();
      this.#indexed = 0;
    }
    // Rows overwritten since the last lookup are gone; index only the ones still kept.
    for (let w = Math.max(this.#indexed, this.#written - cap); w < this.#written; w++) {
      const at = w % cap;
      this.#byFlight.set(flightKeyOf(this.#minutes[at], this.#origin[at], this.#destination[at]), w);
    }
    this.#indexed = this.#written;
    const key = flightKeyOf(validDepartureMinutes(departure), airportCode(origin), airportCode(destination));
    const w = this.#byFlight.get(key);
    if (w === undefined) return { found: false };
    if (w < this.#written - cap) {
      this.#byFlight.delete(key);
      return { found: false };
    }
    // The request this row belongs to starts at the nearest first row at or before it that spans it;
    // if that start was overwritten, the request is gone.
    const at = w % cap;
    for (let back = 0; back <= w && back < cap; back++) {
      const first = (at - back + cap) % cap;
      const rows = this.#rowsAt[first];
      if (rows !== 0) return back < rows ? this.#claim(null, back, at) : { found: false };
    }
    return { found: false };
  }

  #claim(requestId: string | null, index: number, at: number): FeedbackLookup {
    const duplicate = this.#answered[at] === 1;
    this.#answered[at] = 1;
    const { version, threshold } = this.#versions[this.#model[at]];
    const probability = this.#probability[at];
    return {
      found: true,
      duplicate,
      prediction: { requestId, index, version, probability, flagged: probability >= threshold },
    };
  }
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
