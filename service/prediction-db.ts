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
    this.#insert = this.#db.prepare(
      'INSERT INTO predictions (request_ms, request_key, row, minutes, origin, destination, distance, version, threshold, probability, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#byRequest = this.#db.prepare(
      `SELECT ${COLUMNS} FROM predictions WHERE request_ms = ? AND request_key = ? AND row = ? ORDER BY seq DESC LIMIT 1`,
    );
    this.#byFlight = this.#db.prepare(
      `SELECT ${JOINED_COLUMNS} FROM latest_by_flight l JOIN predictions p ON p.seq = l.seq WHERE l.minutes = ? AND l.origin = ? AND l.destination = ?`,
    );
    this.#setLatest = this.#db.prepare(
      'INSERT INTO latest_by_flight VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET seq = excluded.seq',
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
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (let i = 0; i < chunk.rows; i++) {
        const model = chunk.models[chunk.model[i]];
        const { lastInsertRowid } = this.#insert.run(
          chunk.requestMs[i],
          chunk.requestKey[i],
          chunk.row[i],
          chunk.minutes[i],
          chunk.origin[i],
          chunk.destination[i],
          chunk.distance[i],
          model.version,
          model.threshold,
          chunk.probability[i],
          chunk.createdMs,
        );
        this.#setLatest.run(chunk.minutes[i], chunk.origin[i], chunk.destination[i], lastInsertRowid);
      }
      const outcome = this.#prune(nowMs);
      this.#db.exec('COMMIT');
      return outcome;
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
  #prune(nowMs: number): WriteOutcome {
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
