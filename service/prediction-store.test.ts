import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { hash52 } from '../lib/util/hash.ts';
import { airportCode, PredictionDb } from './prediction-db.ts';
import {
  bufferedStore,
  inThreadBackend,
  inThreadStore,
  openPredictionStore,
  type StoreBackend,
} from './prediction-store.ts';
import { newRequestId } from './request-id.ts';
import { byFlight, flight, predictionStoreContract, record } from './prediction-store.case.test.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = () => path.join(dir, `s${files++}.sqlite`);

predictionStoreContract('in this thread, in memory', (limits, events, nowMs) =>
  inThreadStore(':memory:', limits, { events, nowMs }),
);
predictionStoreContract('in this thread, in a file', (limits, events, nowMs) =>
  inThreadStore(file(), limits, { events, nowMs }),
);
predictionStoreContract('on a worker thread, in a file', (limits, events, nowMs) =>
  openPredictionStore(file(), limits, { events, nowMs }),
);

describe('a prediction store in a file', () => {
  it('survives a restart, and is shared by two processes’ stores (a claim counts once)', async () => {
    const file = path.join(dir, 'shared.sqlite');
    const limits = { maxRows: 1000, maxAgeMs: 3_600_000 };
    const first = openPredictionStore(file, limits);
    record(first, 'before-restart', [flight(1), flight(2)], [0.1, 0.2]);
    await first.close();
    const again = openPredictionStore(file, limits);
    const other = openPredictionStore(file, limits);
    try {
      expect(await again.claim({ kind: 'request', requestId: 'before-restart', index: 1 })).toMatchObject({
        found: true,
        duplicate: false,
      });
      record(again, 'on-a', [flight(30)], [0.5]);
      await again.flush();
      expect(await other.claim(byFlight(flight(30)))).toMatchObject({ found: true, duplicate: false });
      expect(await again.claim(byFlight(flight(30)))).toMatchObject({ found: true, duplicate: true });
    } finally {
      await again.close();
      await other.close();
    }
  });
});

describe('a claim', () => {
  it('writes the buffer first only when its prediction could be in it', async () => {
    const limits = { maxRows: 1000, maxAgeMs: 3_600_000 };
    const inner = inThreadBackend(new PredictionDb(':memory:', limits));
    let writes = 0;
    const backend: StoreBackend = { ...inner, write: (chunk, transfer) => (writes++, inner.write(chunk, transfer)) };
    const store = bufferedStore({ backend, limits, flushMs: 0 });
    try {
      const [earlier, later] = [newRequestId(Date.now() - 5000), newRequestId()];
      record(store, earlier, [flight(1)], [0.1]);
      await store.flush();
      record(store, later, [flight(2)], [0.2]);
      expect(writes).toBe(1);
      // Older than every buffered row: answered without writing the buffer.
      expect(await store.claim({ kind: 'request', requestId: earlier, index: 0 })).toMatchObject({ found: true });
      expect(writes).toBe(1);
      // Buffered: written first, then found.
      expect(await store.claim({ kind: 'request', requestId: later, index: 0 })).toMatchObject({ found: true });
      expect(writes).toBe(2);
      // By flight, or by an id without a time, the buffer is written first.
      record(store, newRequestId(), [flight(3)], [0.3]);
      expect(await store.claim(byFlight(flight(3)))).toMatchObject({ found: true });
      expect(writes).toBe(3);
      record(store, 'req-no-time', [flight(4)], [0.4]);
      expect(await store.claim({ kind: 'request', requestId: 'req-no-time', index: 0 })).toMatchObject({
        found: true,
      });
      expect(writes).toBe(4);
    } finally {
      await store.close();
    }
  });
});

const ORIGINS = ['ATL', 'ORD', 'DFW', 'LAX', 'DEN', 'SFO', 'SEA', 'BOS', 'MIA', 'JFK'];

describe('the latest prediction of each flight', () => {
  it('is kept for at most the flights in the store and a tenth of its capacity', async () => {
    const file = path.join(dir, 'latest.sqlite');
    const store = inThreadStore(file, { maxRows: 100, maxAgeMs: 3_600_000 }, { chunkRows: 7 });
    const latest = new DatabaseSync(file, { readOnly: true });
    const count = () => Number((latest.prepare('SELECT COUNT(*) AS n FROM latest_by_flight').get() as { n: number }).n);
    try {
      let most = 0;
      for (let i = 0; i < 1000; i++) {
        record(store, `r${i}`, [flight(i % 60, ORIGINS[Math.floor(i / 60) % ORIGINS.length], 100 + i)], [0.5]);
        if (i % 7 === 6) {
          await store.flush();
          most = Math.max(most, count());
        }
      }
      expect(most).toBeGreaterThan(100);
      expect(most).toBeLessThanOrEqual(100 + 10 + 7);
      // 600 flights (departure × origin) over 1,000 predictions: the latest of a re-predicted one answers.
      expect(await store.claim(byFlight(flight(999 % 60, ORIGINS[Math.floor(999 / 60) % 10])))).toMatchObject({
        prediction: { distance: 1099 },
      });
      expect(await store.claim(byFlight(flight(0, 'ATL')))).toEqual({ found: false });
    } finally {
      latest.close();
      await store.close();
    }
  });
});

describe('a prediction store written by an older version', () => {
  // Version 1's schema, as the service created it before request ids were UUIDv7.
  const VERSION_1 = `
    CREATE TABLE predictions (seq INTEGER PRIMARY KEY, request_key INTEGER NOT NULL, row INTEGER NOT NULL,
      minutes INTEGER NOT NULL, origin INTEGER NOT NULL, destination INTEGER NOT NULL, distance REAL NOT NULL,
      version TEXT NOT NULL, threshold REAL NOT NULL, probability REAL NOT NULL, created_ms INTEGER NOT NULL,
      answered INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX predictions_by_request ON predictions (request_key, row);
    CREATE INDEX predictions_by_flight ON predictions (minutes, origin, destination);
    CREATE INDEX predictions_by_age ON predictions (created_ms);`;

  it('is migrated when opened: its predictions are still claimed, new ones join by their UUIDv7', async () => {
    const file = path.join(dir, 'version-1.sqlite');
    const old = new DatabaseSync(file);
    old.exec(VERSION_1);
    old
      .prepare('INSERT INTO predictions VALUES (1, ?, 0, 1000, ?, ?, 700, ?, 0.3, 0.4, ?, 0)')
      .run(hash52('3b241101-e2bb-4255-8caf-4136c566a962'), airportCode('ORD'), airportCode('LGA'), 'v0', Date.now());
    old.close();
    const store = openPredictionStore(file, { maxRows: 1000, maxAgeMs: 3_600_000 });
    try {
      const id = newRequestId();
      record(store, id, [flight(4)], [0.6]);
      expect(
        await store.claim({ kind: 'request', requestId: '3b241101-e2bb-4255-8caf-4136c566a962', index: 0 }),
      ).toMatchObject({ found: true, prediction: { version: 'v0', origin: 'ORD', distance: 700 } });
      expect(await store.claim({ kind: 'request', requestId: id, index: 0 })).toMatchObject({ found: true });
      const oldFlight = { kind: 'flight', departure: '', minutes: 1000, origin: 'ORD', destination: 'LGA' } as const;
      expect(await store.claim(oldFlight)).toMatchObject({ found: true, duplicate: true });
    } finally {
      await store.close();
    }
    const migrated = new DatabaseSync(file);
    const indexes = migrated.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
    expect(indexes.map((i) => i.name)).toEqual(['predictions_by_age', 'predictions_by_request_time']);
    expect(migrated.prepare('SELECT COUNT(*) AS n FROM latest_by_flight').get()).toEqual({ n: 2 });
    expect(migrated.prepare('PRAGMA user_version').get()).toEqual({ user_version: 2 });
    migrated.close();
  });

  it('refuses a file from a newer version, naming it', () => {
    const file = path.join(dir, 'version-9.sqlite');
    const newer = new DatabaseSync(file);
    newer.exec('PRAGMA user_version = 9');
    newer.close();
    expect(() => new PredictionDb(file, { maxRows: 10, maxAgeMs: 1000 })).toThrow(
      /version-9\.sqlite: schema version 9 is newer/,
    );
  });
});
