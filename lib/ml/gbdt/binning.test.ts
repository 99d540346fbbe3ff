import { describe, expect, it } from 'vitest';
import {
  binMatrix,
  binOf,
  computeBinMapper,
  featureThresholds,
  mulberry32,
  sampleRows,
  sortFloat32,
  thresholdBetween,
} from './binning.ts';
import { synthetic } from '../../../testing/gbdt-data.ts';

describe('binning', () => {
  const m = synthetic(5000, 4, 3, (rand, x) => {
    x[0] = rand() * 1000 - 500; // continuous
    x[1] = Math.floor(rand() * 24); // integer, 24 values
    x[2] = rand() < 0.6 ? 0 : rand() * 1e-3; // heavy zero
    x[3] = 7; // constant
    return 0;
  });

  it('thresholds are float32, strictly increasing, at most maxBins - 1', () => {
    const mapper = computeBinMapper(m, { maxBins: 32, sampleRows: 2000, seed: 5 });
    for (const t of mapper.thresholds) {
      expect(t.length).toBeLessThanOrEqual(31);
      for (let i = 0; i < t.length; i++) {
        expect(Math.fround(t[i])).toBe(t[i]);
        if (i > 0) expect(t[i]).toBeGreaterThan(t[i - 1]);
      }
    }
    expect(mapper.thresholds[3].length).toBe(0);
    expect(mapper.numBins[3]).toBe(1);
  });

  it('separates bins: x < thresholds[b] exactly when bin(x) <= b', () => {
    const mapper = computeBinMapper(m, { maxBins: 255, sampleRows: 1000, seed: 1 });
    const bins = binMatrix(m, mapper);
    let bad = 0;
    for (let r = 0; r < m.rows; r++) {
      for (let f = 0; f < m.cols; f++) {
        const x = m.values[r * m.cols + f];
        const b = bins[r * m.cols + f];
        const t = mapper.thresholds[f];
        if (b !== binOf(t, x)) bad++;
        if (b > 0 && !(t[b - 1] <= x)) bad++;
        if (b < t.length && !(x < t[b])) bad++;
      }
    }
    expect(bad).toBe(0);
  });

  it('bins infinities and values beyond the thresholds into the last bin, and constant features into bin 0', () => {
    const mapper = computeBinMapper(m, { maxBins: 32, sampleRows: 2000, seed: 5 });
    const extremes = {
      rows: 3,
      cols: 4,
      values: new Float32Array(12),
      labels: new Uint8Array(3),
      featureNames: m.featureNames,
    };
    extremes.values.set([
      Infinity,
      Infinity,
      Infinity,
      Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      1e30,
      1e30,
      1e30,
      -1e30,
    ]);
    const bins = binMatrix(extremes, mapper);
    for (let f = 0; f < 4; f++) {
      const last = mapper.numBins[f] - 1;
      expect([bins[f], bins[4 + f], bins[8 + f]]).toEqual([last, 0, f === 3 ? 0 : last]);
    }
  });

  it('gives each distinct value of a low-cardinality feature its own bin', () => {
    const mapper = computeBinMapper(m, { maxBins: 255 });
    expect(mapper.numBins[1]).toBe(24);
    const bins = binMatrix(m, mapper);
    for (let r = 0; r < m.rows; r++) expect(bins[r * m.cols + 1]).toBe(m.values[r * m.cols + 1]);
  });

  it('quantile bins hold roughly equal counts and a heavy value gets its own bin', () => {
    const values = new Float32Array(10_000);
    for (let i = 0; i < values.length; i++) values[i] = i < 5000 ? 0 : i;
    const t = featureThresholds(values, 16);
    expect(t.length).toBe(15);
    expect(binOf(t, 0)).toBe(0);
    expect(binOf(t, 5000)).toBe(1);
    const counts = new Array(16).fill(0);
    for (const v of values) counts[binOf(t, v)]++;
    for (let b = 1; b < 16; b++) expect(counts[b]).toBeLessThan(700);
  });

  it('threshold between adjacent float32 values is the upper one', () => {
    const a = Math.fround(1);
    const b = Math.fround(1 + 2 ** -23);
    expect(thresholdBetween(a, b)).toBe(b);
    expect(thresholdBetween(1, 3)).toBe(2);
  });

  it('radix sort of float32 matches the typed-array sort', () => {
    const rand = mulberry32(4);
    const v = Float32Array.from({ length: 5000 }, (_, i) =>
      i % 7 === 0 ? -0 : i % 11 === 0 ? 0 : (rand() - 0.5) * 10 ** ((i % 9) - 4),
    );
    v[3] = -Infinity;
    v[4] = Infinity;
    const expected = Float32Array.from(v).sort();
    const got = sortFloat32(v);
    let bad = 0;
    for (let i = 0; i < v.length; i++) if (!(got[i] === expected[i])) bad++;
    expect(bad).toBe(0);
  });

  it('samples deterministically', () => {
    expect(Array.from(sampleRows(1000, 10, 9))).toEqual(Array.from(sampleRows(1000, 10, 9)));
    expect(Array.from(sampleRows(1000, 10, 9))).not.toEqual(Array.from(sampleRows(1000, 10, 10)));
    expect(new Set(sampleRows(100, 60, 1)).size).toBe(60);
  });
});
