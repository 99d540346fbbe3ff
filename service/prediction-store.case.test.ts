/**
 * The prediction store's contract (hono-style case file: not run by itself). Each implementation's
 * test calls `predictionStoreContract` with a way to open one; see prediction-store.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RawFlight } from '../lib/features/spec.ts';
import type { WriteOutcome } from './prediction-db.ts';
import type { PredictionStore, StoreEvents } from './prediction-store.ts';
import { newRequestId } from './request-id.ts';
import { validDepartureMinutes } from './validation.ts';

export type OpenStore = (
  limits: { maxRows: number; maxAgeMs: number },
  events?: StoreEvents,
  nowMs?: () => number,
) => PredictionStore;

export const flight = (minute: number, origin = 'ORD', distance = 500): RawFlight => ({
  departure: `2001-05-04T17:${String(minute).padStart(2, '0')}`,
  distance,
  origin,
  destination: 'LGA',
});

export function record(
  store: PredictionStore,
  requestId: string,
  flights: RawFlight[],
  scores: number[],
  version = 'v1',
) {
  store.record(
    requestId,
    version,
    0.3,
    flights,
    Float32Array.from(scores),
    Float64Array.from(flights, (f) => validDepartureMinutes(f.departure)),
  );
}

export const byFlight = (f: RawFlight) =>
  ({
    kind: 'flight',
    departure: f.departure,
    minutes: validDepartureMinutes(f.departure),
    origin: f.origin,
    destination: f.destination,
  }) as const;

export function predictionStoreContract(name: string, open: OpenStore): void {
  describe(`prediction store ${name}`, () => {
    const opened: PredictionStore[] = [];
    const make: OpenStore = (...args) => {
      const store = open(...args);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const limits = { maxRows: 1000, maxAgeMs: 3_600_000 };

    it('joins an outcome by request id and row, with everything the quality counters need', async () => {
      const store = make(limits);
      record(store, 'req-a', [flight(1), flight(2, 'ATL', 1200)], [0.1, 0.45]);
      const found = await store.claim({ kind: 'request', requestId: 'req-a', index: 1 });
      expect(found).toEqual({
        found: true,
        duplicate: false,
        prediction: {
          row: 1,
          version: 'v1',
          threshold: 0.3,
          probability: Math.fround(0.45),
          minutes: validDepartureMinutes('2001-05-04T17:02'),
          origin: 'ATL',
          destination: 'LGA',
          distance: 1200,
        },
      });
    });

    it('joins by UUIDv7 request ids (the service’s), keyed by their time, and tells ids of one millisecond apart', async () => {
      const store = make(limits);
      const ms = Date.UTC(2026, 11, 2, 6, 0);
      const [a, b] = [newRequestId(ms), newRequestId(ms)];
      const later = newRequestId(ms + 1);
      record(store, a, [flight(1)], [0.1]);
      record(store, b, [flight(2)], [0.2]);
      record(store, later, [flight(3)], [0.3]);
      const claim = (requestId: string) => store.claim({ kind: 'request', requestId, index: 0 });
      expect(await claim(b)).toMatchObject({ found: true, prediction: { probability: Math.fround(0.2) } });
      expect(await claim(later)).toMatchObject({ found: true, prediction: { probability: Math.fround(0.3) } });
      expect(await claim(a)).toMatchObject({ found: true, prediction: { probability: Math.fround(0.1) } });
      // The same random part at another time is another request.
      expect(await claim(newRequestId(ms + 2).slice(0, 14) + a.slice(14))).toEqual({ found: false });
    });

    it('joins by the flight itself: the latest prediction for it', async () => {
      const store = make(limits);
      record(store, 'r1', [flight(5)], [0.2]);
      record(store, 'r2', [flight(5)], [0.7], 'v2');
      const found = await store.claim(byFlight(flight(5)));
      expect(found).toMatchObject({ found: true, prediction: { version: 'v2', probability: Math.fround(0.7) } });
    });

    it('says duplicate for a second outcome, and not found for unknown ids, rows and flights', async () => {
      const store = make(limits);
      record(store, 'r1', [flight(1)], [0.2]);
      expect(await store.claim({ kind: 'request', requestId: 'r1', index: 0 })).toMatchObject({ duplicate: false });
      expect(await store.claim({ kind: 'request', requestId: 'r1', index: 0 })).toMatchObject({ duplicate: true });
      expect(await store.claim(byFlight(flight(1)))).toMatchObject({ found: true, duplicate: true });
      expect(await store.claim({ kind: 'request', requestId: 'r1', index: 1 })).toEqual({ found: false });
      expect(await store.claim({ kind: 'request', requestId: 'nope', index: 0 })).toEqual({ found: false });
      expect(await store.claim(byFlight(flight(9)))).toEqual({ found: false });
    });

    it('keeps at most maxRows rows, dropping the oldest and counting the unanswered ones', async () => {
      const outcomes: WriteOutcome[] = [];
      const store = make({ maxRows: 5, maxAgeMs: 3_600_000 }, { onWritten: (o) => outcomes.push(o) });
      record(store, 'old', [flight(1), flight(2)], [0.1, 0.2]);
      await store.claim({ kind: 'request', requestId: 'old', index: 1 });
      for (let i = 0; i < 4; i++) record(store, `new${i}`, [flight(10 + i)], [0.3]);
      await store.flush();
      expect(await store.claim({ kind: 'request', requestId: 'old', index: 0 })).toEqual({ found: false });
      expect(await store.claim({ kind: 'request', requestId: 'old', index: 1 })).toMatchObject({ duplicate: true });
      expect(await store.claim({ kind: 'request', requestId: 'new0', index: 0 })).toMatchObject({ found: true });
      expect(await store.claim(byFlight(flight(1)))).toEqual({ found: false });
      expect(await store.claim(byFlight(flight(13)))).toMatchObject({ found: true, duplicate: false });
      const last = outcomes[outcomes.length - 1];
      expect(last.rows).toBe(5);
      expect(last.seconds).toBeGreaterThan(0);
      // Row 0 of "old", the oldest, was evicted without an outcome.
      expect(outcomes.reduce((n, o) => n + o.evictedCapacity, 0)).toBe(1);
    });

    it('drops rows older than maxAgeMs', async () => {
      let now = 1_000_000;
      const outcomes: WriteOutcome[] = [];
      const store = make({ maxRows: 100, maxAgeMs: 60_000 }, { onWritten: (o) => outcomes.push(o) }, () => now);
      record(store, 'early', [flight(1)], [0.1]);
      await store.flush();
      now += 61_000;
      record(store, 'late', [flight(2)], [0.2]);
      await store.flush();
      expect(outcomes[outcomes.length - 1]).toMatchObject({ rows: 1, evictedAge: 1 });
      expect(await store.claim({ kind: 'request', requestId: 'early', index: 0 })).toEqual({ found: false });
    });

    it('keeps requests larger than its buffer, and rows from several versions in one chunk', async () => {
      const store = make(limits);
      const many = Array.from({ length: 5000 }, (_, i) => flight(i % 60, 'DFW', 100 + i));
      record(
        store,
        'big',
        many,
        many.map((_, i) => i / 5000),
      );
      record(store, 'other', [flight(7, 'SFO')], [0.9], 'v9');
      expect(await store.claim({ kind: 'request', requestId: 'big', index: 4321 })).toMatchObject({
        prediction: { distance: 4421, version: 'v1' },
      });
      expect(await store.claim({ kind: 'request', requestId: 'other', index: 0 })).toMatchObject({
        prediction: { origin: 'SFO', version: 'v9' },
      });
    });
  });
}
