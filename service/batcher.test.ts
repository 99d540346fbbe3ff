import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RawFlight } from '../lib/features/spec.ts';
import { type BatchModel, type BatchStats, MicroBatcher } from './batcher.ts';

const flight = (distance: number): RawFlight => ({
  departure: '2001-05-04T17:35',
  distance,
  origin: 'ORD',
  destination: 'LGA',
});

function model(version = 'v1') {
  const calls: number[] = [];
  let gate: Promise<void> = Promise.resolve();
  const m: BatchModel & { calls: number[]; hold(): () => void } = {
    version,
    calls,
    async scoreFlights(flights: readonly RawFlight[]) {
      calls.push(flights.length);
      await gate;
      return { scores: Float32Array.from(flights, (f) => f.distance), featuresMs: 0.1, inferenceMs: 0.2 };
    },
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return open;
    },
  };
  return m;
}

afterEach(() => vi.useRealTimers());

describe('MicroBatcher', () => {
  it('scores requests queued in the same turn in one call, each getting its own rows', async () => {
    const m = model();
    const stats: BatchStats[] = [];
    const b = new MicroBatcher({ maxBatchRows: 100, maxWaitMs: 0, onBatch: (s) => stats.push(s) });
    const results = await Promise.all([
      b.submit(m, [flight(1)]).result,
      b.submit(m, [flight(2), flight(3)]).result,
      b.submit(m, [flight(4)]).result,
    ]);
    expect(results.map((r) => Array.from(r))).toEqual([[1], [2, 3], [4]]);
    expect(m.calls).toEqual([4]);
    expect(stats).toEqual([expect.objectContaining({ version: 'v1', rows: 4, requests: 3 })]);
  });

  it('queues while a call runs and sends the backlog as the next batch', async () => {
    const m = model();
    const open = m.hold();
    const b = new MicroBatcher({ maxBatchRows: 100, maxWaitMs: 0 });
    const first = b.submit(m, [flight(1)]).result;
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toEqual([1]);
    const later = [2, 3, 4].map((d) => b.submit(m, [flight(d)]).result);
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toEqual([1]);
    open();
    await Promise.all([first, ...later]);
    expect(m.calls).toEqual([1, 3]);
  });

  it('caps a batch at maxBatchRows, runs an oversized request alone, and never mixes models', async () => {
    const a = model('a');
    const c = model('c');
    const b = new MicroBatcher({ maxBatchRows: 3, maxWaitMs: 0 });
    const jobs = [
      b.submit(a, [flight(1), flight(2)]),
      b.submit(a, [flight(3), flight(4)]),
      b.submit(c, [flight(5)]),
      b.submit(a, [flight(6)]),
      b.submit(a, [flight(7), flight(8), flight(9), flight(10)]),
    ];
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(results.map((r) => Array.from(r))).toEqual([[1, 2], [3, 4], [5], [6], [7, 8, 9, 10]]);
    expect(a.calls).toEqual([3, 2, 4]);
    expect(c.calls).toEqual([1]);
  });

  it('with maxWaitMs > 0 waits that long for company, but not when the batch is full', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const m = model();
    const b = new MicroBatcher({ maxBatchRows: 4, maxWaitMs: 5 });
    const first = b.submit(m, [flight(1)]).result;
    await vi.advanceTimersByTimeAsync(4);
    expect(m.calls).toEqual([]);
    const second = b.submit(m, [flight(2)]).result;
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([first, second]);
    expect(m.calls).toEqual([2]);
    const full = b.submit(m, [flight(1), flight(2), flight(3), flight(4)]).result;
    await new Promise((r) => setImmediate(r));
    await full;
    expect(m.calls).toEqual([2, 4]);
  });

  it('with concurrency 2 starts a second batch only when enough rows wait', async () => {
    const m = model();
    const open = m.hold();
    const b = new MicroBatcher({ maxBatchRows: 100, maxWaitMs: 0, concurrency: 2, overlapMinRows: 3 });
    const first = b.submit(m, [flight(1)]).result;
    await new Promise((r) => setImmediate(r));
    const few = b.submit(m, [flight(2), flight(3)]).result;
    await new Promise((r) => setImmediate(r));
    // Two rows are fewer than overlapMinRows: they wait for the running batch.
    expect(m.calls).toEqual([1]);
    const more = b.submit(m, [flight(4)]).result;
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toEqual([1, 3]);
    open();
    expect((await Promise.all([first, few, more])).map((r) => Array.from(r))).toEqual([[1], [2, 3], [4]]);
  });

  it('drops a cancelled job that has not started, and rejects every job of a failed call', async () => {
    const m = model();
    const open = m.hold();
    const b = new MicroBatcher({ maxBatchRows: 10, maxWaitMs: 0 });
    const running = b.submit(m, [flight(1)]);
    await new Promise((r) => setImmediate(r));
    const queued = b.submit(m, [flight(2)]);
    expect(running.cancel()).toBe(false);
    expect(queued.cancel()).toBe(true);
    expect(b.queuedRows).toBe(0);
    open();
    await running.result;
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toEqual([1]);

    const broken: BatchModel = { version: 'x', scoreFlights: () => Promise.reject(new Error('boom')) };
    const failed = [b.submit(broken, [flight(1)]).result, b.submit(broken, [flight(2)]).result];
    for (const f of failed) await expect(f).rejects.toThrow('boom');
  });
});
