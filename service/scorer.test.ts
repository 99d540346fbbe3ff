import { describe, expect, it } from 'vitest';
import type { RawFlight } from '../lib/features/spec.ts';
import { type Scorer, splitScorer, workerThreshold } from './scorer.ts';
import { isValidDeparture } from './validation.ts';

function timed(msPerRow: number, seen: RawFlight[][] = []): Scorer {
  return {
    async scoreFlights(flights) {
      seen.push([...flights]);
      return {
        scores: new Float32Array(flights.length),
        featuresMs: (flights.length * msPerRow) / 2,
        inferenceMs: (flights.length * msPerRow) / 2,
      };
    },
    release: async () => {},
  };
}

describe('workerThreshold', () => {
  it('is the batch size that takes the target time, within [16, 2048], probed with valid flights', async () => {
    const seen: RawFlight[][] = [];
    expect(await workerThreshold(timed(0.005, seen), 0.5)).toBe(100);
    expect(seen[0]).toHaveLength(64);
    expect(seen[0].every((f) => isValidDeparture(f.departure) && /^[A-Z]{3}$/.test(f.origin) && f.distance >= 1)).toBe(
      true,
    );
    expect(await workerThreshold(timed(0.5), 0.5)).toBe(16);
    expect(await workerThreshold(timed(0.00001), 0.5)).toBe(2048);
  });
});

describe('splitScorer', () => {
  it('sends batches of at least minRows to the large scorer and releases both', async () => {
    const small: RawFlight[][] = [];
    const large: RawFlight[][] = [];
    let released = 0;
    const track = (s: Scorer): Scorer => ({ ...s, release: async () => void released++ });
    const split = splitScorer(track(timed(1, small)), track(timed(1, large)), 3);
    const f: RawFlight = { departure: '2001-05-04T17:35', distance: 733, origin: 'ORD', destination: 'LGA' };
    await split.scoreFlights([f, f]);
    await split.scoreFlights([f, f, f]);
    expect([small.length, large.length]).toEqual([1, 1]);
    await split.release();
    expect(released).toBe(2);
  });
});
