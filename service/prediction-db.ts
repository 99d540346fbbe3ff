/**
 * Predictions awaiting their real outcome, in SQLite (node:sqlite): they survive a restart, and
 * several service processes on one host can share one file (WAL mode; a claim is one IMMEDIATE
 * transaction, so an outcome is counted once even when two replicas receive it). Bounded by rows
 * and by age: a prediction whose outcome never comes is dropped, and counted as evicted.
 *
 * Synchronous, like node:sqlite: the service runs it on a worker thread of its own
 * (prediction-store-worker.ts) so no insert ever runs on the event loop; tests call it directly.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** Rows of scored flights in columns (transferable to a worker without copying). */
export interface PredictionChunk {
  rows: number;
  /** The request id's time (requestTimeMs: its UUIDv7 milliseconds, else 0): the index's leading key. */
  requestMs: Float64Array;
  /** hash52 of the request id. */
  requestKey: Float64Array;
  /** Row of the request (0 for a single flight). */
  row: Uint32Array;
  /** Departure, minutes since the epoch (the feature module's departureMinutes). */
  minutes: Float64Array;
  /** Airports as airportCode numbers. */
  origin: Uint16Array;
  destination: Uint16Array;
  distance: Float32Array;
  probability: Float32Array;
  /** Index into `models`. */
  model: Uint16Array;
  models: { version: string; threshold: number }[];
  /** Wall-clock ms when the chunk was written. */
  createdMs: number;
}

/** Which prediction an outcome belongs to. */
export type ClaimTarget =
  | { kind: 'request'; requestMs: number; requestKey: number; row: number }
  | { kind: 'flight'; minutes: number; origin: number; destination: number };

export interface StoredPrediction {
  row: number;
  version: string;
  threshold: number;
  probability: number;
  minutes: number;
  origin: string;
  destination: string;
  distance: number;
}

export type ClaimResult = { found: true; duplicate: boolean; prediction: StoredPrediction } | { found: false };

export interface StoreLimits {
  /** Most rows kept (the oldest go first). */
  maxRows: number;
  /** Rows older than this are dropped. */
  maxAgeMs: number;
}

export interface WriteOutcome {
  /** Rows in the store after the write and pruning (all processes sharing the file). */
  rows: number;
  evictedAge: number;
  evictedCapacity: number;
  /** How long the write and pruning took in the writing thread (its busy time: CPU-bound, no fsync). */
  seconds: number;
}

/** Three capital letters → 0 … 17575 (validation guarantees the shape). */
export function airportCode(iata: string): number {
  return ((iata.charCodeAt(0) - 65) * 26 + (iata.charCodeAt(1) - 65)) * 26 + (iata.charCodeAt(2) - 65);
}

export function airportFromCode(code: number): string {
  return String.fromCharCode(65 + Math.floor(code / 676), 65 + (Math.floor(code / 26) % 26), 65 + (code % 26));
}

/**
 * Schema version 2 (PRAGMA user_version). Version 1 (no version set) indexed every row by
 * (request_key, row) — a random hash — and by (minutes, origin, destination): each insert touched a
 * random page of two indexes as large as the table. At 1M rows that cost 90–150 µs per stored row
 * (`npm run bench:store` run against version 1). Version 2 keys requests by (request_ms, request_key, row) — request ids
 * are UUIDv7 (request-id.ts), so inserts append — and keeps one row per flight, its latest
 * prediction, in `latest_by_flight`: a table as large as the distinct flights in the store, not as
 * the store. A version-1 file is migrated when opened.
 */
const SCHEMA_VERSION = 2;
const REQUEST_INDEX =
  'CREATE INDEX IF NOT EXISTS predictions_by_request_time ON predictions (request_ms, request_key, row);';
const LATEST_BY_FLIGHT = `
CREATE TABLE IF NOT EXISTS latest_by_flight (
  minutes INTEGER NOT NULL,
  origin INTEGER NOT NULL,
  destination INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (minutes, origin, destination)
) WITHOUT ROWID;
`;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  seq INTEGER PRIMARY KEY,
  request_ms INTEGER NOT NULL DEFAULT 0,
  request_key INTEGER NOT NULL,
  row INTEGER NOT NULL,
  minutes INTEGER NOT NULL,
  origin INTEGER NOT NULL,
  destination INTEGER NOT NULL,
  distance REAL NOT NULL,
  version TEXT NOT NULL,
  threshold REAL NOT NULL,
  probability REAL NOT NULL,
  created_ms INTEGER NOT NULL,
  answered INTEGER NOT NULL DEFAULT 0
);
${REQUEST_INDEX}
${LATEST_BY_FLIGHT}
CREATE INDEX IF NOT EXISTS predictions_by_age ON predictions (created_ms);
`;

const MIGRATE_FROM_1 = `
ALTER TABLE predictions ADD COLUMN request_ms INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS predictions_by_request;
${REQUEST_INDEX}
${LATEST_BY_FLIGHT}
INSERT INTO latest_by_flight SELECT minutes, origin, destination, MAX(seq) FROM predictions GROUP BY minutes, origin, destination;
DROP INDEX IF EXISTS predictions_by_flight;
`;

const COLUMNS = 'seq, row, version, threshold, probability, minutes, origin, destination, distance, answered';
/** The same columns of `predictions p` in a join. */
const JOINED_COLUMNS = COLUMNS.split(', ')
  .map((column) => `p.${column}`)
  .join(', ');

const INSERT_PREDICTIONS =
  'INSERT INTO predictions (request_ms, request_key, row, minutes, origin, destination, distance, version, threshold, probability, created_ms)';
const INSERT_COLUMNS = 11;
const ROW_PLACEHOLDERS = `(${Array(INSERT_COLUMNS).fill('?').join(', ')})`;
/**
 * Rows per INSERT statement: 32 took 1.8 µs per row against 2.7 µs one at a time (node:sqlite's
 * per-call cost; a table with the request and age indexes, 13,000-row transactions).
 */
const INSERT_BLOCK = 32;

/** Row `i` of `chunk` as INSERT_PREDICTIONS's values, into `params` from `at`. */
function rowParams(chunk: PredictionChunk, i: number, params: (number | string)[], at: number): void {
  const model = chunk.models[chunk.model[i]];
  params[at] = chunk.requestMs[i];
  params[at + 1] = chunk.requestKey[i];
  params[at + 2] = chunk.row[i];
  params[at + 3] = chunk.minutes[i];
  params[at + 4] = chunk.origin[i];
  params[at + 5] = chunk.destination[i];
  params[at + 6] = chunk.distance[i];
  params[at + 7] = model.version;
  params[at + 8] = model.threshold;
  params[at + 9] = chunk.probability[i];
  params[at + 10] = chunk.createdMs;
}

interface Row {
  seq: number;
  row: number;
  version: string;
  threshold: number;
  probability: number;
  minutes: number;
  origin: number;
  destination: number;
  distance: number;
  answered: number;
}

export class PredictionDb {
  readonly file: string;
  readonly limits: StoreLimits;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #insertBlock: StatementSync;
  /** Bound values of one block, reused across writes. */
  readonly #params: (number | string)[] = new Array(INSERT_BLOCK * INSERT_COLUMNS);
  readonly #byRequest: StatementSync;
  readonly #byFlight: StatementSync;
  readonly #setLatest: StatementSync;
  readonly #sweepLatest: StatementSync;
  /** Rows deleted since `latest_by_flight` was last swept of entries whose row is gone. */
  #deletedSinceSweep = 0;
  readonly #answer: StatementSync;
  readonly #countOld: StatementSync;
  readonly #deleteOld: StatementSync;
  readonly #seqRange: StatementSync;
  readonly #countBefore: StatementSync;
  readonly #deleteBefore: StatementSync;
  readonly #count: StatementSync;

  /** `file` ':memory:' keeps nothing across restarts (tests, or a deliberate choice). */
  constructor(file: string, limits: StoreLimits) {
    if (!(Number.isInteger(limits.maxRows) && limits.maxRows >= 1))
      throw new Error(`prediction store: maxRows must be a positive integer, got ${limits.maxRows}`);
    if (!(limits.maxAgeMs > 0)) throw new Error(`prediction store: maxAgeMs must be positive, got ${limits.maxAgeMs}`);
    this.file = file;
    this.limits = limits;
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.#db = new DatabaseSync(file);
    // WAL: readers never block the writer, and several processes can share the file. NORMAL
    // synchronous: a power cut may lose the last transactions, never corrupt the file.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.#createOrMigrate();
    this.#insert = this.#db.prepare(`${INSERT_PREDICTIONS} VALUES ${ROW_PLACEHOLDERS}`);
    this.#byRequest = this.#db.prepare(
      `SELECT ${COLUMNS} FROM predictions WHERE request_ms = ? AND request_key = ? AND row = ? ORDER BY seq DESC LIMIT 1`,
    );
    // The join checks the flight too: an entry is only swept now and then, and must never answer
    // for whatever row holds its seq later.
    this.#byFlight = this.#db.prepare(
      `SELECT ${JOINED_COLUMNS} FROM latest_by_flight l JOIN predictions p ON p.seq = l.seq AND p.minutes = l.minutes AND p.origin = l.origin AND p.destination = l.destination WHERE l.minutes = ? AND l.origin = ? AND l.destination = ?`,
    );
    this.#insertBlock = this.#db.prepare(
      `${INSERT_PREDICTIONS} VALUES ${Array.from({ length: INSERT_BLOCK }, () => ROW_PLACEHOLDERS).join(', ')}`,
    );
    // ORDER BY seq: a flight predicted twice in the chunk ends on its later seq.
    this.#setLatest = this.#db.prepare(
      'INSERT INTO latest_by_flight SELECT minutes, origin, destination, seq FROM predictions WHERE seq > ? ORDER BY seq ON CONFLICT DO UPDATE SET seq = excluded.seq',
    );
    this.#sweepLatest = this.#db.prepare('DELETE FROM latest_by_flight WHERE seq < ?');
    this.#answer = this.#db.prepare('UPDATE predictions SET answered = 1 WHERE seq = ?');
    this.#countOld = this.#db.prepare('SELECT COUNT(*) AS n FROM predictions WHERE created_ms < ? AND answered = 0');
    this.#deleteOld = this.#db.prepare('DELETE FROM predictions WHERE created_ms < ?');
    // Two subqueries: SQLite answers a lone MIN or MAX of the rowid from the b-tree's ends.
    this.#seqRange = this.#db.prepare(
      'SELECT (SELECT MIN(seq) FROM predictions) AS first, (SELECT MAX(seq) FROM predictions) AS last',
    );
    this.#countBefore = this.#db.prepare('SELECT COUNT(*) AS n FROM predictions WHERE seq <= ? AND answered = 0');
    this.#deleteBefore = this.#db.prepare('DELETE FROM predictions WHERE seq <= ?');
    this.#count = this.#db.prepare('SELECT COUNT(*) AS n FROM predictions');
  }

  /** Creates the schema, or brings a file written by an older version up to this one. */
  #createOrMigrate(): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const version = Number((this.#db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
      if (version > SCHEMA_VERSION)
        throw new Error(
          `prediction store ${this.file}: schema version ${version} is newer than this service's ${SCHEMA_VERSION}; use a newer service or another PREDICTION_STORE_PATH`,
        );
      const hasTable = this.#db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'predictions'")
        .get();
      if (hasTable && version < 2) this.#db.exec(MIGRATE_FROM_1);
      this.#db.exec(SCHEMA);
      this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Adds a chunk of rows and prunes by age (as of the chunk's time) and capacity, in one transaction. */
  write(chunk: PredictionChunk, nowMs = chunk.createdMs): WriteOutcome {
    const started = performance.now();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const lastBefore = (this.#seqRange.get() as { last: number | null }).last ?? 0;
      const params = this.#params;
      let i = 0;
      // INSERT_BLOCK rows per statement: one call into SQLite per block, not per row.
      for (; i + INSERT_BLOCK <= chunk.rows; i += INSERT_BLOCK) {
        for (let j = 0; j < INSERT_BLOCK; j++) rowParams(chunk, i + j, params, j * INSERT_COLUMNS);
        this.#insertBlock.run(...params);
      }
      for (; i < chunk.rows; i++) {
        rowParams(chunk, i, params, 0);
        this.#insert.run(...params.slice(0, INSERT_COLUMNS));
      }
      // The chunk's rows took the seqs after lastBefore (the transaction holds the write lock), in
      // order, so the last of each flight's rows is its latest.
      this.#setLatest.run(lastBefore);
      const pruned = this.#prune(nowMs);
      this.#db.exec('COMMIT');
      return { ...pruned, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Age, then capacity. No COUNT(*): at 1M rows one took milliseconds per write, O(rows); the rows
   * kept are read from the seq range instead — exact for one process, an upper bound by at most the
   * rows of a few chunks when several processes share the file (their chunks' times interleave, so
   * age pruning can leave a gap that the next prune closes).
   */
  #prune(nowMs: number): Omit<WriteOutcome, 'seconds'> {
    const cutoff = nowMs - this.limits.maxAgeMs;
    const evictedAge = Number((this.#countOld.get(cutoff) as { n: number }).n);
    this.#deletedSinceSweep += Number(this.#deleteOld.run(cutoff).changes);
    const range = this.#seqRange.get() as { first: number | null; last: number | null };
    if (range.first === null || range.last === null) return { rows: 0, evictedAge, evictedCapacity: 0 };
    let evictedCapacity = 0;
    let first = range.first;
    if (range.last - first + 1 > this.limits.maxRows) {
      // seq grows by one per insert (also across processes sharing the file), so the newest
      // maxRows rows are those above last − maxRows.
      const before = range.last - this.limits.maxRows;
      evictedCapacity = Number((this.#countBefore.get(before) as { n: number }).n);
      this.#deletedSinceSweep += Number(this.#deleteBefore.run(before).changes);
      first = before + 1;
    }
    // An entry whose row is gone answers nothing (rows go oldest first, so no older prediction of
    // that flight is left either); sweeping them costs a scan of the table, so once per tenth of
    // the capacity deleted.
    if (this.#deletedSinceSweep >= Math.max(1, this.limits.maxRows / 10)) {
      this.#sweepLatest.run(first);
      this.#deletedSinceSweep = 0;
    }
    return { rows: range.last - first + 1, evictedAge, evictedCapacity };
  }

  /** The latest matching prediction, marked answered; `duplicate` when it already was. */
  claim(target: ClaimTarget): ClaimResult {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const found = (
        target.kind === 'request'
          ? this.#byRequest.get(target.requestMs, target.requestKey, target.row)
          : this.#byFlight.get(target.minutes, target.origin, target.destination)
      ) as Row | undefined;
      if (found && found.answered === 0) this.#answer.run(found.seq);
      this.#db.exec('COMMIT');
      if (!found) return { found: false };
      return {
        found: true,
        duplicate: found.answered !== 0,
        prediction: {
          row: found.row,
          version: found.version,
          threshold: found.threshold,
          probability: found.probability,
          minutes: found.minutes,
          origin: airportFromCode(found.origin),
          destination: airportFromCode(found.destination),
          distance: found.distance,
        },
      };
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  rows(): number {
    return Number((this.#count.get() as { n: number }).n);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
