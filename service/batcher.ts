/**
 * Micro-batching: rows from concurrent requests are scored in one ONNX Runtime call.
 *
 * A call has a fixed cost (a worker round trip or an event-loop turn, tensor setup, string
 * tensors, the graph walk) paid per call, not per row. While one batch runs, new
 * requests queue; when it finishes, everything queued goes out as the next batch (adaptive: batches
 * grow with load, and an idle service scores a lone request at once). `maxWaitMs` > 0 additionally
 * holds the first request of a batch back for up to that long to gather more.
 */
import type { RawFlight } from '../lib/features/spec.ts';
import type { FlightScores } from './scorer.ts';

/** Anything that scores flights; in the service, a held ServingModel. */
export interface BatchModel {
  readonly version: string;
  scoreFlights(flights: readonly RawFlight[]): Promise<FlightScores>;
}

export interface BatchStats {
  version: string;
  rows: number;
  requests: number;
  featuresSeconds: number;
  inferenceSeconds: number;
}

export interface BatcherOptions {
  /** Most rows in one ORT call; a single request larger than this runs alone. */
  maxBatchRows: number;
  /** How long the first queued request may wait for company; 0 = only what is already queued. */
  maxWaitMs: number;
  /**
   * Batches in flight at once (default 1). With inference on a worker thread, 2 lets the event loop
   * prepare and answer one batch while the worker scores the next; on the main thread, 1.
   */
  concurrency?: number;
  /**
   * A batch beyond the first in flight needs at least this many queued rows (default 64): small
   * extra batches only add round trips, while big ones keep the worker busy.
   */
  overlapMinRows?: number;
  /** Called after every ORT call, for metrics. */
  onBatch?: (stats: BatchStats) => void;
  now?: () => number;
}

interface Job {
  model: BatchModel;
  flights: readonly RawFlight[];
  resolve(scores: Float32Array): void;
  reject(error: unknown): void;
  cancelled: boolean;
  /** performance.now() ms when picked into a batch; NaN while queued. */
  startedAt: number;
}

export interface Submission {
  /** Probabilities for the submitted rows, in order. */
  result: Promise<Float32Array>;
  /** When it was picked into a batch (performance.now ms); NaN while queued. */
  startedAt(): number;
  /** Drops the job if it has not been picked into a batch yet (its result then never settles). */
  cancel(): boolean;
}

export class MicroBatcher {
  readonly #options: BatcherOptions;
  readonly #now: () => number;
  #queue: Job[] = [];
  #queuedRows = 0;
  #running = 0;
  readonly #concurrency: number;
  readonly #overlapMinRows: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #immediate = false;

  constructor(options: BatcherOptions) {
    if (!Number.isInteger(options.maxBatchRows) || options.maxBatchRows < 1)
      throw new Error(`maxBatchRows must be a positive integer, got ${options.maxBatchRows}`);
    if (!(options.maxWaitMs >= 0)) throw new Error(`maxWaitMs must be ≥ 0, got ${options.maxWaitMs}`);
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#concurrency = options.concurrency ?? 1;
    this.#overlapMinRows = options.overlapMinRows ?? 64;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1)
      throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
  }

  get queuedRows(): number {
    return this.#queuedRows;
  }

  submit(model: BatchModel, flights: readonly RawFlight[]): Submission {
    let resolve!: (scores: Float32Array) => void;
    let reject!: (error: unknown) => void;
    const result = new Promise<Float32Array>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { model, flights, resolve, reject, cancelled: false, startedAt: Number.NaN };
    this.#queue.push(job);
    this.#queuedRows += flights.length;
    this.#schedule();
    return {
      result,
      startedAt: () => job.startedAt,
      cancel: () => {
        if (!Number.isNaN(job.startedAt) || job.cancelled) return false;
        job.cancelled = true;
        this.#queuedRows -= flights.length;
        return true;
      },
    };
  }

  /** `soon`: flush on the next turn regardless of maxWaitMs (a backlog built up during a call). */
  /** Whether another batch may start now. */
  #canStart(): boolean {
    return this.#running === 0 || (this.#running < this.#concurrency && this.#queuedRows >= this.#overlapMinRows);
  }

  #schedule(soon = false): void {
    if (!this.#canStart()) return;
    if (soon || this.#queuedRows >= this.#options.maxBatchRows || this.#options.maxWaitMs === 0) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      if (!this.#immediate) {
        this.#immediate = true;
        // setImmediate runs after the current I/O phase, so every request parsed in this turn joins.
        setImmediate(() => {
          this.#immediate = false;
          void this.#flush();
        });
      }
    } else if (!this.#timer && !this.#immediate) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#flush();
      }, this.#options.maxWaitMs);
    }
  }

  /** Takes the next batch: queued jobs for the first job's model, up to maxBatchRows rows. */
  #take(): Job[] {
    const batch: Job[] = [];
    const rest: Job[] = [];
    let rows = 0;
    let model: BatchModel | null = null;
    for (const job of this.#queue) {
      if (job.cancelled) continue;
      const fits = model === null || (job.model === model && rows + job.flights.length <= this.#options.maxBatchRows);
      if (fits) {
        model = job.model;
        batch.push(job);
        rows += job.flights.length;
      } else rest.push(job);
    }
    this.#queue = rest;
    this.#queuedRows -= rows;
    return batch;
  }

  async #flush(): Promise<void> {
    if (!this.#canStart()) return;
    const batch = this.#take();
    if (batch.length === 0) return;
    this.#running++;
    // A free slot takes the rest of the queue now rather than after this batch.
    if (this.#queuedRows > 0) this.#schedule(true);
    try {
      await this.#run(batch);
    } finally {
      this.#running--;
      // Whatever queued during the call is the next batch; no extra waiting under load.
      if (this.#queuedRows > 0) this.#schedule(true);
      else this.#queue = [];
    }
  }

  async #run(batch: Job[]): Promise<void> {
    const model = batch[0].model;
    const t0 = this.#now();
    for (const job of batch) job.startedAt = t0;
    let flights: readonly RawFlight[];
    if (batch.length === 1) flights = batch[0].flights;
    else {
      const all: RawFlight[] = [];
      for (const job of batch) for (const f of job.flights) all.push(f);
      flights = all;
    }
    try {
      const { scores, featuresMs, inferenceMs } = await model.scoreFlights(flights);
      let offset = 0;
      for (const job of batch) {
        const n = job.flights.length;
        job.resolve(batch.length === 1 ? scores : scores.subarray(offset, offset + n));
        offset += n;
      }
      this.#options.onBatch?.({
        version: model.version,
        rows: flights.length,
        requests: batch.length,
        featuresSeconds: featuresMs / 1000,
        inferenceSeconds: inferenceMs / 1000,
      });
    } catch (error) {
      for (const job of batch) job.reject(error);
    }
  }
}
