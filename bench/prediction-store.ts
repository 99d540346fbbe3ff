/**
 * `npm run bench:store [-- --rows 1300000 --chunk 13000 --capacity 1000000]`
 *
 * What the prediction log's writer (service/prediction-db.ts, on its own worker thread in the
 * service) costs per stored row as the store fills to its capacity and starts evicting, for the
 * service's request ids (UUIDv7: the index on (request time, id hash) grows at its end) against
 * random ones (UUIDv4, as before: every insert lands on a random page of a growing index).
 * Both stores are written in turns, chunk by chunk, through the service's own buffered store, so
 * the machine's noise falls on both alike. Chunks are `--chunk` single-row requests (13,000 ≈ the
 * store's 1 s flush interval at 13k req/s; `--chunk 1300` is 100 ms); departures are 0–6 h after
 * the request, as live traffic's.
 * On 2 cores this thread's CPU is taken from the event loop or the load generator, so µs per row
 * here is µs per single-row request of throughput lost.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RawFlight } from '../lib/features/spec.ts';
import { createRandom } from '../lib/util/random.ts';
import { PredictionDb } from '../service/prediction-db.ts';
import { bufferedStore, inThreadBackend, type PredictionStore } from '../service/prediction-store.ts';
import { newRequestId } from '../service/request-id.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1300000' },
    chunk: { type: 'string', default: '13000' },
    capacity: { type: 'string', default: '1000000' },
  },
});
const ROWS = Number(args.rows);
const CHUNK = Number(args.chunk);
const CAPACITY = Number(args.capacity);
const REPORT_EVERY = 100_000;
const AIRPORTS = ['ATL', 'ORD', 'DFW', 'LAX', 'DEN', 'PHX', 'IAH', 'LAS', 'DTW', 'MSP', 'SFO', 'EWR', 'STL', 'CLT'];
const REQUESTS_PER_MS = 13;

interface Writer {
  label: string;
  store: PredictionStore;
  newId: (nowMs: number) => string;
  /** ms spent in flush() since the last report. */
  ms: number;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-bench-store-'));
try {
  const limits = { maxRows: CAPACITY, maxAgeMs: 48 * 3_600_000 };
  const open = (label: string, newId: Writer['newId']): Writer => ({
    label,
    newId,
    ms: 0,
    store: bufferedStore({
      backend: inThreadBackend(new PredictionDb(path.join(dir, `${label}.sqlite`), limits)),
      limits,
      chunkRows: CHUNK,
      flushMs: 0,
    }),
  });
  const writers = [open('uuidv7', newRequestId), open('uuidv4', () => randomUUID())];
  console.log(
    `bench:store — ${ROWS.toLocaleString('en-US')} single-row requests in chunks of ${CHUNK}, capacity ${CAPACITY.toLocaleString('en-US')} rows, node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}`,
  );
  // What an id costs on the predict path (the store keys by it; request-id.ts says why it is hand-made).
  for (const [name, make] of [
    ['randomUUID (UUIDv4)', () => randomUUID()],
    ['newRequestId (UUIDv7)', () => newRequestId()],
  ] as const) {
    let length = 0;
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) length += make().length;
    if (length !== 36_000_000) throw new Error(`${name} made ids of the wrong length`);
    console.log(`${name}: ${((performance.now() - started) / 1000).toFixed(2)} µs per id (10⁶ ids)`);
  }
  console.log(`rows written   ${writers.map((w) => `${w.label} µs/row`.padStart(16)).join('')}   ratio`);
  const random = createRandom(7);
  const flight = new Array<RawFlight>(1);
  const scores = new Float32Array(1);
  const minutes = new Float64Array(1);
  let nowMs = Date.UTC(2026, 11, 2);
  let reported = 0;
  for (let written = 0; written < ROWS;) {
    // The same chunk of requests goes to both stores, which take turns going first.
    const requests = Array.from({ length: CHUNK }, (_, i) => {
      const at = nowMs + i / REQUESTS_PER_MS;
      return {
        at,
        flight: {
          departure: '',
          origin: AIRPORTS[Math.floor(random() * AIRPORTS.length)],
          destination: AIRPORTS[Math.floor(random() * AIRPORTS.length)],
          distance: 200 + Math.floor(random() * 2000),
        },
        minutes: Math.floor(at / 60_000) + Math.floor(random() * 360),
        score: random(),
      };
    });
    nowMs += CHUNK / REQUESTS_PER_MS;
    const order = (written / CHUNK) % 2 === 0 ? writers : [...writers].reverse();
    for (const writer of order) {
      for (const r of requests) {
        flight[0] = r.flight;
        scores[0] = r.score;
        minutes[0] = r.minutes;
        writer.store.record(writer.newId(r.at), 'v1', 0.3, flight, scores, minutes);
      }
      const started = performance.now();
      await writer.store.flush();
      writer.ms += performance.now() - started;
    }
    written += CHUNK;
    if (written - reported >= REPORT_EVERY || written >= ROWS) {
      const perRow = writers.map((w) => (w.ms * 1000) / (written - reported));
      reported = written;
      console.log(
        `${written.toLocaleString('en-US').padStart(12)}   ${perRow.map((v) => v.toFixed(1).padStart(16)).join('')}   ${(perRow[1] / perRow[0]).toFixed(1)}×`,
      );
      for (const w of writers) w.ms = 0;
    }
  }
  for (const w of writers) {
    const file = path.join(dir, `${w.label}.sqlite`);
    const size = (suffix: string) => (existsSync(file + suffix) ? statSync(file + suffix).size : 0);
    console.log(
      `${w.label}: ${(size('') / 2 ** 20).toFixed(0)} MiB file + ${(size('-wal') / 2 ** 20).toFixed(0)} MiB WAL at ${Math.min(Math.ceil(ROWS / CHUNK) * CHUNK, CAPACITY).toLocaleString('en-US')} rows`,
    );
    await w.store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
