/**
 * The training kernels' contract (histogram.ts TrainingKernels): run against each implementation
 * by its test (reference-kernels.test.ts, wasm-kernels.test.ts), with the helpers those tests use.
 */
import { describe, expect, it } from 'vitest';
import { binOf, computeBinMapper } from './binning.ts';
import {
  type HistogramLayout,
  type RecordLayout,
  type TrainingKernels,
  histogramLayout,
  recordLayout,
} from './histogram.ts';
import type { Matrix } from '../matrix.ts';
import { gradientScale } from './objective.ts';
import { SHARDS, binScratchSize, fillRecords, shardRegions } from './shard.ts';
import { type WasmMemory, sharedMemory } from './wasm-kernels.ts';
import { synthetic } from '../../../testing/gbdt-data.ts';

/** Makes an implementation's kernels on a memory. */
export type MakeKernels = (memory: WasmMemory, layout: HistogramLayout, rec: RecordLayout) => TrainingKernels;

/**
 * The production shape: 13 features like the flights features (continuous with 255 bins, small
 * integers, a heavy value), plus a constant feature (one bin); `cols` other than 13 drops or
 * repeats some.
 */
export function flightsLike(rows: number, seed: number, cols = 13): Matrix {
  return synthetic(rows, cols, seed, (rand, x) => {
    for (let f = 0; f < cols; f++) {
      const kind = f % 13;
      if (kind === 1)
        x[f] = Math.floor(rand() * 7); // weekday
      else if (kind === 2)
        x[f] = Math.floor(rand() * 31); // day of month
      else if (kind === 3)
        x[f] = 7; // constant
      else if (kind === 4)
        x[f] = rand() < 0.5 ? 0 : rand(); // heavy zero
      else x[f] = rand() * 1000 - 200;
    }
    return rand() < 0.2 + 0.3 * (x[0] > 500 ? 1 : 0) ? 1 : 0;
  });
}

/** Records of a matrix in a shared memory, with room for a histogram, sums and binning scratch. */
export function setUp(
  make: MakeKernels,
  m: Matrix,
  withCounts: boolean,
  maxBins = 255,
  mapper = computeBinMapper(m, { maxBins, sampleRows: 5000, seed: 2 }),
) {
  const layout = histogramLayout(mapper.numBins, withCounts);
  const rec = recordLayout(m.cols);
  const histAt = Math.ceil((m.rows * rec.bytes) / 64) * 64;
  const sumsAt = histAt + layout.size * 8;
  const scratchAt = sumsAt + 64;
  const memory = sharedMemory(scratchAt + binScratchSize(m.cols));
  const buffer = memory.buffer;
  const kernels = make(memory, layout, rec);
  const area = {
    rows: m.rows,
    cols: m.cols,
    shards: SHARDS,
    regionStart: shardRegions(m.rows, SHARDS),
    memory,
    u8: new Uint8Array(buffer),
    f64: new Float64Array(buffer),
  };
  fillRecords(area, kernels, m.values, m.labels, mapper, 0.25, scratchAt);
  const hist = new Float64Array(buffer, histAt, layout.size);
  const sums = new Float64Array(buffer, sumsAt, 2);
  const i32 = new Int32Array(buffer);
  const bin = (i: number, f: number) => area.u8[i * rec.bytes + f];
  const score = (i: number) => area.f64[(i * rec.bytes) / 8 + rec.scoreSlot];
  const gradient = (i: number) => [i32[i * rec.words + rec.gWord], i32[i * rec.words + rec.gWord + 1]];
  return { m, mapper, layout, rec, buffer, kernels, histAt, sumsAt, hist, sums, bin, score, gradient, ...area };
}

/** Record index of row r (fillRecords deals rows to shards in blocks). */
function recordOf(rows: number): Int32Array {
  const next = Int32Array.from(shardRegions(rows, SHARDS).subarray(0, SHARDS));
  const out = new Int32Array(rows);
  for (let r = 0, b = 0; r < rows; b++) {
    const end = Math.min(rows, r + 4096);
    for (; r < end; r++) out[r] = next[b % SHARDS]++;
  }
  return out;
}

/** The contract, for one implementation. */
export function trainingKernelCases(name: string, make: MakeKernels): void {
  describe(`training kernels: ${name}`, () => {
    it('bin: the bin of every value is the number of thresholds <= it, infinities included', () => {
      const m = flightsLike(9000, 1);
      const mapper = computeBinMapper(m, { maxBins: 255, sampleRows: 5000, seed: 2 });
      // Values beyond every threshold, and infinities, in the last rows (binned, not learned from).
      for (let f = 0; f < m.cols; f++) {
        m.values[(m.rows - 1) * m.cols + f] = Infinity;
        m.values[(m.rows - 2) * m.cols + f] = -Infinity;
        m.values[(m.rows - 3) * m.cols + f] = 1e30;
      }
      const s = setUp(make, m, false, 255, mapper);
      const records = recordOf(m.rows);
      let wrong = 0;
      for (let r = 0; r < m.rows; r++) {
        for (let f = 0; f < m.cols; f++) {
          if (s.bin(records[r], f) !== binOf(s.mapper.thresholds[f], m.values[r * m.cols + f])) wrong++;
        }
        if (s.bin(records[r], m.cols) !== m.labels[r]) wrong++;
        if (s.score(records[r]) !== 0.25) wrong++;
      }
      expect(wrong).toBe(0);
      expect(s.mapper.numBins[3]).toBe(1);
      expect(Math.max(...s.mapper.numBins)).toBe(255);
    });

    it('start: updates the scores by bin and computes the quantised gradients and their sums', () => {
      const m = flightsLike(2, 3);
      const s = setUp(make, m, false);
      const scale = gradientScale(2);
      expect(scale).toBe(2 ** 30);
      // Record 0: label 1, score 0 after the update (p = 0.5); record 1: label 0, score 40 (p ≈ 1:
      // the hessian clamps to one quantum).
      s.u8[s.rec.labelByte] = 1;
      s.u8[s.rec.bytes + s.rec.labelByte] = 0;
      s.u8[0] = 3;
      s.u8[s.rec.bytes] = 4;
      s.sums.set([5, 6]);
      s.kernels.start(0, 2, 0, 3, -0.25, 39.75, scale, s.sumsAt);
      expect([s.score(0), s.score(1)]).toEqual([0, 40]);
      expect(s.gradient(0)).toEqual([-(2 ** 29), 2 ** 28]);
      expect(s.gradient(1)).toEqual([2 ** 30, 1]);
      expect(Array.from(s.sums)).toEqual([5 + 2 ** 30 - 2 ** 29, 6 + 2 ** 28 + 1]);
    });

    for (const withCounts of [false, true]) {
      it(`histogram: every feature's bins add up to the gradient, hessian${withCounts ? ' and row' : ''} totals`, () => {
        const m = flightsLike(7000, 4);
        const s = setUp(make, m, withCounts);
        s.kernels.start(0, m.rows, 0, 255, 0.1, 0.1, gradientScale(m.rows), s.sumsAt);
        s.hist.fill(1); // not cleared: the kernel adds
        s.kernels.histogram(0, m.rows, s.histAt);
        const { stride, offsets, numBins } = s.layout;
        for (let f = 0; f < m.cols; f++) {
          const totals = [0, 0, 0];
          for (let b = 0; b < numBins[f]; b++) {
            for (let k = 0; k < stride; k++) totals[k] += s.hist[(offsets[f] + b) * stride + k] - 1;
          }
          expect(totals.slice(0, stride)).toEqual([s.sums[0], s.sums[1], m.rows].slice(0, stride));
        }
      });
    }

    it('partition: left records have bin <= the split bin, right ones above; histograms of the sides add up', () => {
      const m = flightsLike(6000, 5);
      const s = setUp(make, m, true);
      s.kernels.start(0, m.rows, 0, 255, 0.1, 0.1, gradientScale(m.rows), s.sumsAt);
      const before = new Map<string, number>();
      const key = (i: number) => Array.from(s.u8.subarray(i * s.rec.bytes, (i + 1) * s.rec.bytes)).join(',');
      for (let i = 0; i < m.rows; i++) before.set(key(i), (before.get(key(i)) ?? 0) + 1);
      s.kernels.histogram(0, m.rows, s.histAt);
      const parent = s.hist.slice();
      const begin = 100;
      const end = m.rows - 50;
      const mid = s.kernels.partition(begin, end, 2, 15);
      expect(mid).toBeGreaterThan(begin);
      expect(mid).toBeLessThan(end);
      for (let i = begin; i < end; i++) expect(s.bin(i, 2) <= 15).toBe(i < mid);
      // The same records, moved.
      const after = new Map<string, number>();
      for (let i = 0; i < m.rows; i++) after.set(key(i), (after.get(key(i)) ?? 0) + 1);
      expect(after).toEqual(before);
      // Parent = left + right + the rows outside the range.
      s.hist.fill(0);
      for (const [b, e] of [
        [0, begin],
        [begin, mid],
        [mid, end],
        [end, m.rows],
      ]) {
        s.kernels.histogram(b, e, s.histAt);
      }
      expect(Array.from(s.hist)).toEqual(Array.from(parent));
      // All on one side, and empty ranges.
      expect(s.kernels.partition(begin, mid, 2, 15)).toBe(mid);
      expect(s.kernels.partition(mid, end, 2, 15)).toBe(mid);
      expect(s.kernels.partition(7, 7, 2, 15)).toBe(7);
    });
  });
}
