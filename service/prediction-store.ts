/**
 * The prediction log the feedback route joins outcomes to. The hot path only appends a request's
 * rows to typed-array columns (no per-request object survives it: retained per-request objects made
 * garbage-collection pauses ten times longer); every `flushMs`, or when the columns fill, the chunk
 * goes to the backend — a PredictionDb (SQLite) on a worker thread in the service, the same class in
 * this thread in tests. A claim flushes first when its prediction could be buffered, so an outcome
 * can follow its prediction at once.
 *
 * What a crash loses: the rows of the last `flushMs` (default 1 s). A graceful stop (SIGTERM)
 * flushes everything.
 */
import { Worker } from 'node:worker_threads';
import type { RawFlight } from '../lib/features/spec.ts';
import { hash52 } from '../lib/util/hash.ts';
import type { FeedbackTarget } from './validation.ts';
import { errorMessage } from '../lib/util/errors.ts';
import { requestTimeMs } from './request-id.ts';
import {
  airportCode,
  type ClaimResult,
  type ClaimTarget,
  type PredictionChunk,
  PredictionDb,
  type StoreLimits,
  type WriteOutcome,
} from './prediction-db.ts';

export type { ClaimResult, StoredPrediction } from './prediction-db.ts';

/** Where chunks go and claims are answered. */
export interface StoreBackend {
  write(chunk: PredictionChunk, transfer: ArrayBuffer[]): Promise<WriteOutcome>;
  claim(target: ClaimTarget): Promise<ClaimResult>;
  close(): Promise<void>;
}

export interface StoreEvents {
  /** After each chunk written: rows now kept, rows evicted. */
  onWritten?(outcome: WriteOutcome): void;
  onFailure?(operation: 'write' | 'claim', error: unknown): void;
}

export interface PredictionStore {
  /** Hot path: appends the rows of one answered request (synchronous, no I/O). */
  record(
    requestId: string,
    version: string,
    threshold: number,
    flights: readonly RawFlight[],
    scores: Float32Array,
    minutes: Float64Array,
  ): void;
  claim(key: FeedbackTarget): Promise<ClaimResult>;
  /** Sends buffered rows to the backend. */
  flush(): Promise<void>;
  /** Flushes, stops the timer and closes the backend. */
  close(): Promise<void>;
  readonly limits: StoreLimits;
}

export interface BufferedStoreOptions {
  backend: StoreBackend;
  limits: StoreLimits;
  /** Rows buffered before a write (at least the largest request). Default 16,384: a second at 13k req/s. */
  chunkRows?: number;
  /**
   * Most time rows wait in the buffer. Default 1 s: the writer's cost per row halves from 100 ms
   * chunks to 1 s ones (fewer commits dirty each page of latest_by_flight; `npm run bench:store
   * -- --chunk 1300` against the default). 0 = only when full, claimed or flushed.
   */
  flushMs?: number;
  events?: StoreEvents;
  nowMs?: () => number;
}

function emptyChunk(capacity: number): PredictionChunk {
  return {
    rows: 0,
    requestMs: new Float64Array(capacity),
    requestKey: new Float64Array(capacity),
    row: new Uint32Array(capacity),
    minutes: new Float64Array(capacity),
    origin: new Uint16Array(capacity),
    destination: new Uint16Array(capacity),
    distance: new Float32Array(capacity),
    probability: new Float32Array(capacity),
    model: new Uint16Array(capacity),
    models: [],
    createdMs: 0,
  };
}

function transferables(chunk: PredictionChunk): ArrayBuffer[] {
  const columns = [
    chunk.requestMs,
    chunk.requestKey,
    chunk.row,
    chunk.minutes,
    chunk.origin,
    chunk.destination,
    chunk.distance,
    chunk.probability,
    chunk.model,
  ];
  return columns.map((c) => c.buffer as ArrayBuffer);
}

export function bufferedStore(options: BufferedStoreOptions): PredictionStore {
  const { backend, limits, events = {} } = options;
  const capacity = Math.max(1, options.chunkRows ?? 16_384);
  const flushMs = options.flushMs ?? 1000;
  const nowMs = options.nowMs ?? Date.now;
  let chunk = emptyChunk(capacity);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let writes: Promise<void> = Promise.resolve();
  let closed = false;
  /** The earliest request time (requestTimeMs) among the buffered rows; Infinity when none are. */
  let bufferedFromMs = Number.POSITIVE_INFINITY;

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (chunk.rows === 0) return writes;
    const full = chunk;
    full.createdMs = nowMs();
    chunk = emptyChunk(capacity);
    bufferedFromMs = Number.POSITIVE_INFINITY;
    // Writes go out in order; a claim after them sees every earlier row.
    const written = backend.write(full, transferables(full)).then(
      (outcome) => events.onWritten?.(outcome),
      (error: unknown) => events.onFailure?.('write', error),
    );
    writes = written;
    return written;
  };

  const modelIndex = (version: string, threshold: number): number => {
    const models = chunk.models;
    for (let i = 0; i < models.length; i++)
      if (models[i].version === version && models[i].threshold === threshold) return i;
    models.push({ version, threshold });
    return models.length - 1;
  };

  return {
    limits,
    record(requestId, version, threshold, flights, scores, minutes) {
      const n = flights.length;
      if (closed || n === 0) return;
      if (chunk.rows + n > capacity) void flush();
      // A request larger than a chunk is written in pieces of one chunk.
      const key = hash52(requestId);
      const ms = requestTimeMs(requestId);
      let model = modelIndex(version, threshold);
      for (let i = 0; i < n; i++) {
        if (chunk.rows === capacity) {
          void flush();
          model = modelIndex(version, threshold);
        }
        const at = chunk.rows++;
        const f = flights[i];
        chunk.requestMs[at] = ms;
        chunk.requestKey[at] = key;
        chunk.row[at] = i;
        chunk.minutes[at] = minutes[i];
        chunk.origin[at] = airportCode(f.origin);
        chunk.destination[at] = airportCode(f.destination);
        chunk.distance[at] = f.distance;
        chunk.probability[at] = scores[i];
        chunk.model[at] = model;
      }
      if (ms < bufferedFromMs) bufferedFromMs = ms;
      if (timer === null && flushMs > 0) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    async claim(key) {
      const requestMs = key.kind === 'request' ? requestTimeMs(key.requestId) : 0;
      // A request made before every buffered row cannot be in the buffer: no write for its claim
      // (outcomes that come hours later would otherwise each write the rows of the moment).
      // Flight claims and ids without a time flush first.
      if (requestMs > 0 && requestMs < bufferedFromMs) await writes;
      else await flush();
      const target: ClaimTarget =
        key.kind === 'request'
          ? {
              kind: 'request',
              requestMs,
              requestKey: hash52(key.requestId),
              row: key.index,
            }
          : {
              kind: 'flight',
              minutes: key.minutes,
              origin: airportCode(key.origin),
              destination: airportCode(key.destination),
            };
      try {
        return await backend.claim(target);
      } catch (error) {
        events.onFailure?.('claim', error);
        throw error;
      }
    },
    flush,
    async close() {
      if (closed) return;
      await flush();
      closed = true;
      await backend.close();
    },
  };
}

/** The database in this thread (tests, tools). */
export function inThreadBackend(db: PredictionDb): StoreBackend {
  return {
    write: async (chunk) => db.write(chunk),
    claim: async (target) => db.claim(target),
    close: async () => db.close(),
  };
}

export type StoreRequest =
  | { op: 'write'; id: number; chunk: PredictionChunk }
  | { op: 'claim'; id: number; target: ClaimTarget }
  | { op: 'close'; id: number };

export type StoreReply =
  | { op: 'written'; id: number; outcome: WriteOutcome }
  | { op: 'claimed'; id: number; result: ClaimResult }
  | { op: 'closed'; id: number }
  | { op: 'error'; id: number; message: string };

/** The database on a worker thread of its own: inserts and pruning never run on the event loop. */
export function workerBackend(file: string, limits: StoreLimits): StoreBackend {
  const worker = new Worker(new URL('./prediction-store-worker.ts', import.meta.url), {
    workerData: { file, limits },
  });
  worker.unref();
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let dead: Error | null = null;
  const failAll = (error: Error) => {
    dead = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: StoreReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.op === 'error') p.reject(new Error(reply.message));
    else if (reply.op === 'written') p.resolve(reply.outcome);
    else if (reply.op === 'claimed') p.resolve(reply.result);
    else p.resolve(undefined);
  });
  worker.on('error', (error) => failAll(new Error(`prediction store worker failed: ${errorMessage(error)}`)));
  worker.on('exit', (code) => failAll(new Error(`prediction store worker exited (code ${code})`)));
  const call = <T>(message: StoreRequest, transfer: ArrayBuffer[] = []): Promise<T> => {
    if (dead) return Promise.reject(dead);
    return new Promise<T>((resolve, reject) => {
      pending.set(message.id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage(message, transfer);
    });
  };
  return {
    write: (chunk, transfer) => call<WriteOutcome>({ op: 'write', id: nextId++, chunk }, transfer),
    claim: (target) => call<ClaimResult>({ op: 'claim', id: nextId++, target }),
    async close() {
      if (!dead) await call<void>({ op: 'close', id: nextId++ }).catch(() => {});
      await worker.terminate();
    },
  };
}

/** The service's store: SQLite at `file` (':memory:' for none) on a worker thread. */
export function openPredictionStore(
  file: string,
  limits: StoreLimits,
  options: Omit<BufferedStoreOptions, 'backend' | 'limits'> = {},
): PredictionStore {
  return bufferedStore({ ...options, backend: workerBackend(file, limits), limits });
}

/** A store in this thread (unit tests and the app's default). */
export function inThreadStore(
  file: string,
  limits: StoreLimits,
  options: Omit<BufferedStoreOptions, 'backend' | 'limits'> = {},
): PredictionStore {
  return bufferedStore({ ...options, backend: inThreadBackend(new PredictionDb(file, limits)), limits });
}
