import { describe, expect, it } from 'vitest';
import { computeBinMapper } from './binning.ts';
import { buildHistogram, histogramLayout, kernels, recordLayout, subtractHistogram } from './histogram.ts';
import { computeGradients, fastExp, gradientScale } from './objective.ts';
import { type SharedTrainState, fillRecords, shardRegions } from './shard.ts';
import { xorData } from '../../../testing/gbdt-data.ts';

function records(withCounts: boolean) {
  const m = xorData(3000, 11);
  const mapper = computeBinMapper(m, { maxBins: 64 });
  const rec = recordLayout(m.cols);
  const buffer = new SharedArrayBuffer(m.rows * rec.bytes);
  const state = {
    rows: m.rows,
    cols: m.cols,
    participants: 1,
    shards: 1,
    regionStart: shardRegions(m.rows, 1),
    u8: new Uint8Array(buffer),
    i32: new Int32Array(buffer),
    f64: new Float64Array(buffer),
  } as SharedTrainState;
  fillRecords(state, m.values, m.labels, mapper, 0.3);
  // Vary the scores so gradients differ per row.
  for (let i = 0; i < m.rows; i++) state.f64[i * (rec.bytes / 8) + rec.scoreSlot] = Math.sin(i);
  const sums = new Float64Array(2);
  computeGradients(state.u8, state.i32, state.f64, rec, 0, m.rows, gradientScale(m.rows), sums);
  const layout = histogramLayout(mapper.numBins, withCounts);
  return { m, rec, state, layout, sums };
}

describe('histograms', () => {
  it('the fused start kernel updates scores and computes the same gradients and histogram', () => {
    const { m, rec, state, layout, sums } = records(true);
    const expected = new Float64Array(layout.size);
    buildHistogram(layout, rec, state.u8, state.i32, 0, m.rows, expected);
    const gradients = state.i32.slice();
    // Undo nothing: scores are untouched by computeGradients; run the kernel adding 0.25 / -0.5
    // by feature 2 (bin <= 3), then compare with computeGradients on the updated scores.
    const k = kernels(layout, rec);
    const hist = new Float64Array(layout.size);
    const kernelSums = new Float64Array(2);
    const before = state.f64.slice();
    k.start(
      state.u8,
      state.i32,
      state.f64,
      0,
      m.rows,
      2,
      3,
      0.25,
      -0.5,
      gradientScale(m.rows),
      fastExp,
      hist,
      kernelSums,
    );
    const slots = rec.bytes / 8;
    for (let i = 0; i < m.rows; i++) {
      const add = state.u8[i * rec.bytes + 2] <= 3 ? 0.25 : -0.5;
      expect(state.f64[i * slots + rec.scoreSlot]).toBe(before[i * slots + rec.scoreSlot] + add);
    }
    const viaKernel = state.i32.slice();
    const reference = new Float64Array(2);
    computeGradients(state.u8, state.i32, state.f64, rec, 0, m.rows, gradientScale(m.rows), reference);
    expect(Array.from(viaKernel)).toEqual(Array.from(state.i32));
    expect(Array.from(kernelSums)).toEqual(Array.from(reference));
    const direct = new Float64Array(layout.size);
    buildHistogram(layout, rec, state.u8, state.i32, 0, m.rows, direct);
    expect(Array.from(hist)).toEqual(Array.from(direct));
    // Sanity: the scores moved, so the gradients changed.
    expect(Array.from(gradients)).not.toEqual(Array.from(viaKernel));
    expect(sums[1]).toBeGreaterThan(0);
    expect(expected.length).toBe(layout.size);
  });

  for (const withCounts of [false, true]) {
    it(`generated kernel equals the reference build (counts: ${withCounts})`, () => {
      const { m, rec, state, layout, sums } = records(withCounts);
      const a = new Float64Array(layout.size);
      const b = new Float64Array(layout.size);
      kernels(layout, rec).histogram(state.u8, state.i32, 0, m.rows, a);
      buildHistogram(layout, rec, state.u8, state.i32, 0, m.rows, b);
      expect(Array.from(a)).toEqual(Array.from(b));
      // Every feature's bins sum to the node totals.
      let g = 0;
      let h = 0;
      for (let bin = 0; bin < layout.numBins[0]; bin++) {
        g += a[bin * layout.stride];
        h += a[bin * layout.stride + 1];
        if (withCounts) expect(a[bin * 3 + 2]).toBeGreaterThanOrEqual(0);
      }
      expect([g, h]).toEqual([sums[0], sums[1]]);
    });

    it(`parent minus built child equals the sibling built directly (counts: ${withCounts})`, () => {
      const { m, rec, state, layout } = records(withCounts);
      const k = kernels(layout, rec);
      const parent = new Float64Array(layout.size);
      k.histogram(state.u8, state.i32, 0, m.rows, parent);
      const left = new Float64Array(layout.size);
      const feature = 0;
      const bin = 20;
      const mid = k.partition(state.u8, state.i32, 0, m.rows, feature, bin, 1, left);
      // Partition is right: every left record has bin <= 20, every right one > 20.
      let misplaced = 0;
      for (let i = 0; i < m.rows; i++) {
        const b = state.u8[i * rec.bytes + feature];
        if (i < mid ? b > bin : b <= bin) misplaced++;
      }
      expect(misplaced).toBe(0);
      expect(mid).toBeGreaterThan(0);
      expect(mid).toBeLessThan(m.rows);
      const leftDirect = new Float64Array(layout.size);
      buildHistogram(layout, rec, state.u8, state.i32, 0, mid, leftDirect);
      expect(Array.from(left)).toEqual(Array.from(leftDirect));
      const rightDirect = new Float64Array(layout.size);
      buildHistogram(layout, rec, state.u8, state.i32, mid, m.rows, rightDirect);
      subtractHistogram(parent, left, layout.size);
      expect(Array.from(parent)).toEqual(Array.from(rightDirect));
      // Building the right side during the partition gives the same too.
      const again = new Float64Array(layout.size);
      const mid2 = k.partition(state.u8, state.i32, 0, m.rows, feature, bin, 2, again);
      expect(mid2).toBe(mid);
      expect(Array.from(again)).toEqual(Array.from(rightDirect));
    });
  }
});

describe('WebAssembly kernels', () => {
  it('are bit-identical to the JS kernels: start, histogram, partition', async () => {
    const { compileKernels, instantiateKernels, sharedMemory } = await import('./wasm.ts');
    for (const withCounts of [false, true]) {
      const { m, rec, state, layout } = records(withCounts);
      const bytes = m.rows * rec.bytes;
      const histAt = Math.ceil(bytes / 64) * 64;
      const sumsAt = histAt + layout.size * 8;
      const memory = sharedMemory(sumsAt + 16);
      const wasmU8 = new Uint8Array(memory.buffer);
      wasmU8.set(state.u8.subarray(0, bytes));
      const w = { u8: wasmU8, i32: new Int32Array(memory.buffer), f64: new Float64Array(memory.buffer) };
      const wasmHist = new Float64Array(memory.buffer, histAt, layout.size);
      const wasmSums = new Float64Array(memory.buffer, sumsAt, 2);
      const k = kernels(layout, rec);
      const wk = instantiateKernels(compileKernels(layout, rec), memory);
      const scale = gradientScale(m.rows);
      // start: JS fused kernel vs WASM gradients + histogram
      const hist = new Float64Array(layout.size);
      const sums = new Float64Array(2);
      k.start(state.u8, state.i32, state.f64, 0, m.rows, 1, 2, -0.125, 0.375, scale, fastExp, hist, sums);
      wk.start(0, m.rows, 1, 2, -0.125, 0.375, scale, histAt, sumsAt);
      wk.histogram(0, m.rows, histAt);
      // An odd range (SIMD groups of 8 rows plus 7 scalar rows), after the full pass.
      k.start(state.u8, state.i32, state.f64, 7, 1006, 0, 9, 0.25, 0.5, scale, fastExp, hist, sums);
      wk.start(7, 1006, 0, 9, 0.25, 0.5, scale, histAt, sumsAt);
      wk.histogram(7, 1006, histAt);
      expect(Array.from(w.u8.subarray(0, bytes))).toEqual(Array.from(state.u8.subarray(0, bytes)));
      expect(Array.from(wasmHist)).toEqual(Array.from(hist));
      expect(Array.from(wasmSums)).toEqual(Array.from(sums));
      // partition with a histogram of either side
      for (const side of [1, 2]) {
        hist.fill(0);
        wasmHist.fill(0);
        const a = k.partition(state.u8, state.i32, 100, m.rows - 50, 3, 30 + side, side, hist);
        const b = wk.partition(100, m.rows - 50, 3, 30 + side, side, histAt);
        expect(b).toBe(a);
        expect(Array.from(w.u8.subarray(0, bytes))).toEqual(Array.from(state.u8.subarray(0, bytes)));
        expect(Array.from(wasmHist)).toEqual(Array.from(hist));
      }
    }
  });
});

describe('WebAssembly binning', () => {
  it('fills the same records as the JS binning', async () => {
    const { compileKernels, sharedMemory } = await import('./wasm.ts');
    const { binScratchSize, fillRecordsWasm, SHARDS } = await import('./shard.ts');
    const m = xorData(20_000, 12);
    const mapper = computeBinMapper(m, { maxBins: 200 });
    const rec = recordLayout(m.cols);
    const layout = histogramLayout(mapper.numBins, false);
    const bytes = m.rows * rec.bytes;
    const memory = sharedMemory(bytes + binScratchSize(m.cols));
    const make = (buffer: SharedArrayBuffer) =>
      ({
        rows: m.rows,
        cols: m.cols,
        participants: 1,
        shards: SHARDS,
        regionStart: shardRegions(m.rows, SHARDS),
        memory,
        module: compileKernels(layout, rec),
        u8: new Uint8Array(buffer),
        i32: new Int32Array(buffer),
        f64: new Float64Array(buffer),
      }) as SharedTrainState;
    const viaWasm = make(memory.buffer);
    fillRecordsWasm(viaWasm, m.values, m.labels, mapper, 0.5, bytes);
    const viaJs = make(new SharedArrayBuffer(memory.buffer.byteLength));
    fillRecords(viaJs, m.values, m.labels, mapper, 0.5);
    expect(Array.from(viaWasm.u8.subarray(0, bytes))).toEqual(Array.from(viaJs.u8.subarray(0, bytes)));
  });
});
