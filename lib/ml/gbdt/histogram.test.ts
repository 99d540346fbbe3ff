import { describe, expect, it } from 'vitest';
import { computeBinMapper } from './binning.ts';
import { buildHistogram, histogramLayout, kernels, recordLayout, subtractHistogram } from './histogram.ts';
import { computeGradients, gradientScale } from './objective.ts';
import { type SharedTrainState, fillRecords, shardRegions } from './shard.ts';
import { xorData } from './test-data.ts';

function records(withCounts: boolean) {
  const m = xorData(3000, 11);
  const mapper = computeBinMapper(m, { maxBins: 64 });
  const rec = recordLayout(m.cols);
  const buffer = new SharedArrayBuffer(m.rows * rec.bytes);
  const state = {
    rows: m.rows,
    cols: m.cols,
    participants: 1,
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
