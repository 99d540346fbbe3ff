/**
 * The WebAssembly kernels: the contract (kernels.case.test.ts), and bit-identical to the
 * reference kernels on the production shape (13 features, today's record layout) and on others.
 */
import { describe, expect, it } from 'vitest';
import { histogramLayout, recordLayout } from './histogram.ts';
import { type MakeKernels, flightsLike, setUp, trainingKernelCases } from './kernels.case.test.ts';
import type { Matrix } from '../matrix.ts';
import { gradientScale } from './objective.ts';
import { referenceKernels } from './reference-kernels.ts';
import { kernelModules, sharedMemory, wasmKernels } from './wasm-kernels.ts';

const wasm: MakeKernels = (memory, layout, rec) => wasmKernels(kernelModules(), memory, layout, rec);
const reference: MakeKernels = (memory, layout, rec) => referenceKernels(memory.buffer, layout, rec);

trainingKernelCases('WebAssembly', wasm);

describe('WebAssembly kernels are bit-identical to the reference kernels', () => {
  /** Runs the same sequence of kernel calls on both, comparing the whole memory after each. */
  function compare(m: Matrix, withCounts: boolean, maxBins = 255): void {
    const a = setUp(reference, m, withCounts, maxBins);
    const b = setUp(wasm, m, withCounts, maxBins);
    const same = (step: string) => {
      const x = new Uint8Array(a.buffer);
      const y = new Uint8Array(b.buffer);
      expect(Buffer.compare(x, y), `memory after ${step}`).toBe(0);
    };
    same('binning');
    const scale = gradientScale(m.rows);
    for (const s of [a, b]) {
      s.kernels.start(0, m.rows, 0, 255, 0, 0, scale, s.sumsAt);
      // Odd ranges (groups of eight rows and a tail), a tree's two leaves.
      s.kernels.start(7, 1006, 1, 3, -0.125, 0.375, scale, s.sumsAt);
      s.kernels.start(1006, m.rows - 3, 0, 9, 0.25, -0.5, scale, s.sumsAt);
      s.kernels.histogram(0, m.rows, s.histAt);
    }
    same('start and histogram');
    for (const s of [a, b]) {
      s.hist.fill(0);
      const mid = s.kernels.partition(0, m.rows, 0, 100);
      s.kernels.histogram(0, mid, s.histAt);
      const quarter = s.kernels.partition(mid, m.rows, m.cols - 1, 40);
      s.kernels.histogram(quarter, m.rows, s.histAt);
      s.kernels.partition(0, mid, 2, 10);
    }
    same('partitions and their histograms');
  }

  it('on the production shape: 13 features, 32-byte records, without and with counts', () => {
    const m = flightsLike(20_000, 7);
    expect(recordLayout(m.cols).bytes).toBe(32);
    compare(m, false);
    compare(m, true);
  });

  it('on other shapes: 5 to 40 features (records of 24 to 64 bytes; past 16, the loops are not unrolled)', () => {
    for (const cols of [5, 16, 21, 30, 40]) compare(flightsLike(3000, cols, cols), cols % 2 === 0, 64);
  });

  it('instantiating the modules writes nothing to the memory', () => {
    const memory = sharedMemory(65536);
    new Uint8Array(memory.buffer).fill(0xa5);
    const layout = histogramLayout([4, 4], false);
    wasmKernels(kernelModules(), memory, layout, recordLayout(2));
    expect(new Uint8Array(memory.buffer).every((x) => x === 0xa5)).toBe(true);
  });
});
