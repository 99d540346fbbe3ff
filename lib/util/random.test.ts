import { describe, expect, it } from 'vitest';
import { createPoissonOneStream, createRandom, poissonOne } from './random.ts';

describe('createRandom', () => {
  it('replays the same stream for the same seed and differs across seeds', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
  });

  it('gives uniform floats in [0, 1)', () => {
    const random = createRandom(1);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = random();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it('rejects a non-finite seed', () => {
    expect(() => createRandom(Number.NaN)).toThrow(/seed/);
  });
});

describe('Poisson(1)', () => {
  function moments(draws: ArrayLike<number>) {
    let sum = 0;
    let squares = 0;
    const counts = new Array<number>(12).fill(0);
    for (let i = 0; i < draws.length; i++) {
      sum += draws[i];
      squares += draws[i] * draws[i];
      counts[draws[i]]++;
    }
    const mean = sum / draws.length;
    return { mean, variance: squares / draws.length - mean * mean, shares: counts.map((c) => c / draws.length) };
  }
  const exact = [0, 1, 2, 3, 4].map((k) => Math.exp(-1) / [1, 1, 2, 6, 24][k]);

  it('the bulk stream has mean 1, variance 1 and the Poisson(1) probabilities', () => {
    const { mean, variance, shares } = moments(createPoissonOneStream(7)(new Uint8Array(400_000)));
    expect(mean).toBeCloseTo(1, 2);
    expect(variance).toBeCloseTo(1, 1);
    exact.forEach((p, k) => expect(shares[k]).toBeCloseTo(p, 2));
  });

  it('single draws follow the same distribution', () => {
    const random = createRandom(8);
    const { mean, shares } = moments(Array.from({ length: 100_000 }, () => poissonOne(random)));
    expect(mean).toBeCloseTo(1, 1);
    exact.forEach((p, k) => expect(shares[k]).toBeCloseTo(p, 2));
  });

  it('the stream is reproducible from its seed, continues across calls and fills odd lengths', () => {
    const a = createPoissonOneStream(3);
    const b = createPoissonOneStream(3);
    const first = Array.from(a(new Uint8Array(1001)));
    expect(Array.from(b(new Uint8Array(1001)))).toEqual(first);
    expect(Array.from(a(new Uint8Array(1001)))).not.toEqual(first);
    expect(Array.from(createPoissonOneStream(4)(new Uint8Array(1001)))).not.toEqual(first);
  });
});

describe('Poisson(1) stream layout', () => {
  it('writes the same draws into an unaligned view as into an aligned array', () => {
    const aligned = createPoissonOneStream(21)(new Uint8Array(1003));
    const unaligned = createPoissonOneStream(21)(new Uint8Array(1010).subarray(3, 1006));
    expect(Array.from(unaligned)).toEqual(Array.from(aligned));
  });
});
