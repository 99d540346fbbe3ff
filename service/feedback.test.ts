import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OnlineQuality, PredictionLog, rocAuc } from './feedback.ts';

const flight = (minute: number, origin = 'ORD') => ({
  departure: `2001-05-04T17:${String(minute).padStart(2, '0')}`,
  distance: 500,
  origin,
  destination: 'LGA',
});

function bruteAuc(scores: number[], labels: number[]): number | null {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (labels[i] === 1 && labels[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
  }
  return pairs === 0 ? null : wins / pairs;
}

describe('rocAuc', () => {
  it('equals the pairwise definition, ties counting one half', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 1 })), { maxLength: 60 }),
        (rows) => {
          const scores = rows.map(([s]) => s / 10);
          const labels = rows.map(([, l]) => l);
          const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
          const expected = bruteAuc(scores, labels);
          const actual = rocAuc(scores, labels, order);
          if (expected === null) expect(actual).toBeNull();
          else expect(actual).toBeCloseTo(expected, 12);
        },
      ),
    );
  });
});

describe('OnlineQuality', () => {
  it('computes rates, AUC and recall/precision at the budget over the last `window` outcomes', () => {
    const q = new OnlineQuality(10, 0.2);
    // 20 outcomes; only the last 10 count: scores 0.10..0.19, delayed when score ≥ 0.18.
    for (let i = 0; i < 20; i++) q.add(i / 100, i >= 18 ? 30 : 0, i >= 17);
    const s = q.snapshot();
    expect(s).toMatchObject({
      total: 20,
      rows: 10,
      positives: 2,
      delayedRate: 0.2,
      flagRate: 0.3,
      auc: 1,
      recallAtBudget: 1,
      precisionAtBudget: 1,
      recallAtThreshold: 1,
    });
  });

  it('leaves figures undefined (null) until both classes are present', () => {
    const q = new OnlineQuality(5);
    expect(q.snapshot()).toMatchObject({ rows: 0, auc: null, recallAtBudget: null, delayedRate: null });
    q.add(0.5, 0, false);
    expect(q.snapshot()).toMatchObject({
      rows: 1,
      auc: null,
      recallAtBudget: null,
      precisionAtBudget: 0,
      delayedRate: 0,
    });
  });
});

describe('PredictionLog', () => {
  it('finds a prediction by request id and row, and by flight (latest wins)', () => {
    const log = new PredictionLog(100);
    log.record('r1', 'v1', 0.5, [flight(1), flight(2)], Float32Array.of(0.4, 0.6));
    log.record('r2', 'v2', 0.5, [flight(2)], Float32Array.of(0.7));
    expect(log.claimByRequest('r1', 1)).toMatchObject({
      found: true,
      duplicate: false,
      prediction: { requestId: 'r1', index: 1, version: 'v1', flagged: true },
    });
    expect(log.claimByRequest('r1', 2)).toEqual({ found: false });
    expect(log.claimByFlight('2001-05-04T17:02:00', 'ORD', 'LGA')).toMatchObject({
      found: true,
      prediction: { requestId: null, index: 0, version: 'v2' },
    });
    expect(log.claimByRequest('r2', 0)).toMatchObject({ duplicate: true });
  });

  it('finds rows of a batch that wraps around the end of the ring', () => {
    const log = new PredictionLog(5);
    log.record('a', 'v', 0.5, [flight(1), flight(2), flight(3)], Float32Array.of(0.1, 0.2, 0.3));
    log.record('b', 'v2', 0.25, [flight(4), flight(5), flight(6)], Float32Array.of(0.4, 0.5, 0.6));
    expect(log.claimByRequest('a', 0)).toEqual({ found: false });
    expect(log.claimByRequest('b', 2)).toMatchObject({
      found: true,
      prediction: { index: 2, version: 'v2', flagged: true, probability: Math.fround(0.6) },
    });
    expect(log.claimByFlight(flight(5).departure, 'ORD', 'LGA')).toMatchObject({
      found: true,
      prediction: { index: 1, probability: Math.fround(0.5) },
    });
    expect(log.claimByFlight(flight(3).departure, 'ORD', 'LGA')).toEqual({ found: false });
  });

  it('keeps at most `capacity` rows, evicting the oldest requests from both indexes', () => {
    const log = new PredictionLog(3);
    log.record('a', 'v', 0.5, [flight(1), flight(2)], Float32Array.of(0.1, 0.2));
    expect(log.claimByFlight(flight(1).departure, 'ORD', 'LGA').found).toBe(true);
    log.record('b', 'v', 0.5, [flight(3)], Float32Array.of(0.3));
    log.record('c', 'v', 0.5, [flight(4)], Float32Array.of(0.4));
    expect(log.rows).toBe(3);
    // c overwrote a's first row: a is gone, by id and by flight (its second row too).
    expect(log.claimByRequest('a', 0)).toEqual({ found: false });
    expect(log.claimByRequest('a', 1)).toEqual({ found: false });
    expect(log.claimByFlight(flight(1).departure, 'ORD', 'LGA')).toEqual({ found: false });
    expect(log.claimByFlight(flight(2).departure, 'ORD', 'LGA')).toEqual({ found: false });
    expect(log.claimByFlight(flight(3).departure, 'ORD', 'LGA')).toMatchObject({
      found: true,
      prediction: { index: 0, probability: Math.fround(0.3) },
    });
    expect(log.claimByFlight(flight(4).departure, 'ORD', 'LGA').found).toBe(true);
    for (let i = 0; i < 5000; i++) log.record(`x${i}`, 'v', 0.5, [flight(i % 60, 'ATL')], Float32Array.of(0.5));
    expect(log.rows).toBe(3);
    expect(log.claimByRequest('x4999', 0).found).toBe(true);
    expect(log.claimByRequest('x4996', 0).found).toBe(false);
  });
});

describe('PredictionLog against a plain reference model', () => {
  it('agrees on every lookup through random records, evictions and repeated ids', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 })),
          { maxLength: 60 },
        ),
        (capacity, ops) => {
          const log = new PredictionLog(capacity);
          // Reference: every row ever written, in order, with its request and index.
          const rows: { id: string; index: number; p: number }[] = [];
          const latest = new Map<string, number>();
          ops.forEach(([idNumber, n, probe], op) => {
            const id = `id-${idNumber}`;
            const probabilities = Float32Array.from({ length: n }, (_, i) => (op * 10 + i) / 1000);
            log.record(
              id,
              'v',
              0.5,
              Array.from({ length: n }, (_, i) => flight(i)),
              probabilities,
            );
            if (n <= capacity) {
              latest.set(id, rows.length);
              for (let i = 0; i < n; i++) rows.push({ id, index: i, p: probabilities[i] });
            }
            // A request is findable while its first row has not been overwritten.
            const probeId = `id-${probe}`;
            const start = latest.get(probeId);
            const alive = start !== undefined && start >= rows.length - capacity;
            const found = log.claimByRequest(probeId, 0);
            expect(found.found).toBe(alive);
            if (found.found && start !== undefined) expect(found.prediction.probability).toBe(rows[start].p);
          });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
