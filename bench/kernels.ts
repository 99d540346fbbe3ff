/**
 * `npm run bench:kernels [-- --reps 9 --rows N --reference]`
 *
 * Kernel-level benchmark of the GBDT training kernels on the production shape (the bench:train
 * feature matrix: Jan–Apr 2001, 13 features, 255 bins, today's record layout): binning, start of
 * a tree (score update + gradients), root histogram, and splits (partition + the histogram of
 * one side, as shard.ts does). The implementations run side by side in one process on identical
 * inputs, each on its own memory, interleaved (ABBA…) so a busy machine slows all alike, timed in
 * CPU time of this thread; every repetition checks that all left identical records, histograms
 * and sums. Prints median CPU ms per kernel, the ratios, and the load average.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadFlights, selectWindow } from '../lib/data/flights.ts';
import { computeBinMapper, paddedThresholds } from '../lib/ml/gbdt/binning.ts';
import { type HistogramLayout, type TrainingKernels, histogramLayout, recordLayout } from '../lib/ml/gbdt/histogram.ts';
import { gradientScale } from '../lib/ml/gbdt/objective.ts';
import { referenceKernels } from '../lib/ml/gbdt/reference-kernels.ts';
import { SHARD_BLOCK } from '../lib/ml/gbdt/shard.ts';
import * as hand from '../lib/ml/gbdt/wasm.ts';
import { kernelModules, sharedMemory, wasmKernels } from '../lib/ml/gbdt/wasm-kernels.ts';
import { buildSplit } from '../lib/training/dataset.ts';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '9' },
    rows: { type: 'string' },
    /** Also run the plain TypeScript reference kernels (several times slower). */
    reference: { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);

/** One implementation over its own memory; `layout` is where its histogram bins are. */
interface Variant {
  name: string;
  layout: HistogramLayout;
  memory: SharedArrayBuffer;
  kernels: TrainingKernels;
  /** Partition + histogram of one side (1 left, 2 right); returns the first right record. */
  split(begin: number, end: number, feature: number, bin: number, side: number, hist: number): number;
}

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** CPU time of this process in ms: unlike wall time, it does not count waits while descheduled. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The histogram layout of the hand-assembled kernels: each feature's bins right after the last's. */
function compactLayout(numBins: Int32Array, withCounts: boolean): HistogramLayout {
  const offsets = new Int32Array(numBins.length);
  for (let f = 1; f < numBins.length; f++) offsets[f] = offsets[f - 1] + numBins[f - 1];
  const totalBins = offsets[numBins.length - 1] + numBins[numBins.length - 1];
  const stride = withCounts ? 3 : 2;
  return { cols: numBins.length, numBins, offsets, totalBins, stride, size: totalBins * stride };
}

async function main(): Promise<void> {
  const table = await loadFlights({ log: (line) => console.log(line) });
  const split = buildSplit(table, {
    train: selectWindow(table, '2001-01-01', '2001-05-01'),
    validation: selectWindow(table, '2001-04-24', '2001-05-01'),
    evaluation: [],
  });
  const m = split.train;
  const rows = args.rows ? Math.min(m.rows, Number(args.rows)) : m.rows;
  const cols = m.cols;
  const mapper = computeBinMapper(m, { maxBins: 255, sampleRows: 200_000, seed: 1 });
  const layout = histogramLayout(mapper.numBins, false);
  const rec = recordLayout(cols);
  const scale = gradientScale(rows);
  // Memory plan, the same for all: records | histogram | sums | thresholds | values.
  const histAt = Math.ceil((rows * rec.bytes) / 64) * 64;
  const sumsAt = histAt + layout.size * 8;
  const thresholdsAt = sumsAt + 64;
  const valuesAt = thresholdsAt + cols * 2048;
  const bytes = valuesAt + SHARD_BLOCK * cols * 4;
  console.log(
    `bench:kernels — ${rows.toLocaleString('en-US')} rows × ${cols} features, ` +
      `${Array.from(mapper.numBins).reduce((a, b) => a + b)} bins, record ${rec.bytes} bytes, ${reps} repetitions; ` +
      `load average at start: ${loadavg()}`,
  );

  const variants: Variant[] = [];
  {
    const memory = sharedMemory(bytes);
    const compact = compactLayout(mapper.numBins, false);
    const k = hand.instantiateKernels(hand.compileKernels(compact, rec), memory);
    variants.push({
      name: 'hand-assembled (wasm.ts)',
      layout: compact,
      memory: memory.buffer,
      kernels: {
        histogram: (b, e, hist) => k.histogram(b, e, hist),
        partition: (b, e, f, bin) => k.partition(b, e, f, bin, 0, 0),
        start: (b, e, f, bin, l, r, s, sums) => k.start(b, e, f, bin, l, r, s, 0, sums),
        bin: (src, count, dst, t) => k.bin(src, count, dst, t),
      },
      split: (b, e, f, bin, side, hist) => k.partition(b, e, f, bin, side, hist),
    });
  }
  const separateSplit =
    (k: TrainingKernels) => (b: number, e: number, f: number, bin: number, side: number, hist: number) => {
      const mid = k.partition(b, e, f, bin);
      if (side === 1) k.histogram(b, mid, hist);
      else k.histogram(mid, e, hist);
      return mid;
    };
  {
    const memory = sharedMemory(bytes);
    const kernels = wasmKernels(kernelModules(), memory, layout, rec);
    variants.push({
      name: 'AssemblyScript (kernels/*.wasm)',
      layout,
      memory: memory.buffer,
      kernels,
      split: separateSplit(kernels),
    });
  }
  if (args.reference) {
    const memory = sharedMemory(bytes);
    const kernels = referenceKernels(memory.buffer, layout, rec);
    variants.push({
      name: 'reference (TypeScript)',
      layout,
      memory: memory.buffer,
      kernels,
      split: separateSplit(kernels),
    });
  }
  for (const v of variants) {
    const padded = new Float64Array(v.memory, thresholdsAt, cols * 256);
    paddedThresholds(mapper).forEach((t, f) => padded.set(t, f * 256));
  }

  // The start-of-tree work in 64 pieces, as the pool runs it (16 shards × 4 parts).
  const pieces = Array.from({ length: 64 }, (_, p) => [Math.floor((rows * p) / 64), Math.floor((rows * (p + 1)) / 64)]);
  const kernelNames = ['bin', 'start', 'histogram', 'split'] as const;
  type Kernel = (typeof kernelNames)[number];
  const times = new Map<string, number[]>();
  const record = (v: Variant, k: Kernel, ms: number) => {
    const key = `${v.name}|${k}`;
    times.set(key, [...(times.get(key) ?? []), ms]);
  };

  const runAll = (v: Variant, rep: number) => {
    const u8 = new Uint8Array(v.memory);
    const f64 = new Float64Array(v.memory);
    const hist = new Float64Array(v.memory, histAt, v.layout.size);
    // Binning: every row, a block at a time into consecutive records (labels and scores set after).
    const block = new Float32Array(v.memory, valuesAt, SHARD_BLOCK * cols);
    let ms = 0;
    for (let r = 0; r < rows; r += SHARD_BLOCK) {
      const count = Math.min(SHARD_BLOCK, rows - r);
      block.set(m.values.subarray(r * cols, (r + count) * cols));
      const t = cpuMs();
      v.kernels.bin(valuesAt, count, r, thresholdsAt);
      ms += cpuMs() - t;
    }
    record(v, 'bin', ms);
    for (let r = 0; r < rows; r++) {
      u8[r * rec.bytes + rec.labelByte] = m.labels[r];
      f64[(r * rec.bytes) / 8 + rec.scoreSlot] = (r % 7) * 0.1 - 0.3;
    }
    // Start of a tree: the previous tree split on feature rep % cols.
    new Float64Array(v.memory, sumsAt, 2).fill(0);
    let t = cpuMs();
    for (const [b, e] of pieces) v.kernels.start(b, e, rep % cols, 40, 0.05, -0.07, scale, sumsAt);
    record(v, 'start', cpuMs() - t);
    hist.fill(0);
    t = cpuMs();
    for (const [b, e] of pieces) v.kernels.histogram(b, e, histAt);
    record(v, 'histogram', cpuMs() - t);
    // Splits down to depth 6 on varying features, each building the histogram of its smaller side
    // into a fresh histogram (the last one is compared).
    t = cpuMs();
    let segments = [[0, rows]];
    for (let depth = 0; depth < 6; depth++) {
      const next: number[][] = [];
      for (const [b, e] of segments) {
        const f = (depth * 5 + b + rep) % cols;
        hist.fill(0);
        const mid = v.split(b, e, f, mapper.numBins[f] >> 1, depth % 2 === 0 ? 1 : 2, histAt);
        next.push([b, mid], [mid, e]);
      }
      segments = next;
    }
    record(v, 'split', cpuMs() - t);
  };

  /** Throws unless variant v left the same records, histogram and sums as variant a. */
  const check = (a: Variant, v: Variant, rep: number) => {
    const fail = (what: string) => {
      throw new Error(`repetition ${rep}: ${v.name} left different ${what} than ${a.name}`);
    };
    const recordBytes = rows * rec.bytes;
    if (Buffer.compare(new Uint8Array(a.memory, 0, recordBytes), new Uint8Array(v.memory, 0, recordBytes)) !== 0) {
      fail('records');
    }
    const ha = new Float64Array(a.memory, histAt, a.layout.size);
    const hv = new Float64Array(v.memory, histAt, v.layout.size);
    for (let f = 0; f < cols; f++) {
      for (let b = 0; b < mapper.numBins[f] * 2; b++) {
        if (!Object.is(ha[a.layout.offsets[f] * 2 + b], hv[v.layout.offsets[f] * 2 + b])) fail('histograms');
      }
    }
    const sa = new Float64Array(a.memory, sumsAt, 2);
    const sv = new Float64Array(v.memory, sumsAt, 2);
    if (!Object.is(sa[0], sv[0]) || !Object.is(sa[1], sv[1])) fail('sums');
  };

  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) runAll(v, rep);
    for (const v of variants.slice(1)) check(variants[0], v, rep);
  }

  const [base, ...others] = variants;
  console.log(`\nmedian CPU ms over ${reps} repetitions (interleaved); ratios to ${base.name}:`);
  console.log(
    `| kernel | ${variants.map((v) => v.name).join(' | ')} | ${others.map((v) => `ratio ${v.name}`).join(' | ')} |`,
  );
  console.log(`|---|${variants.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|`);
  const totals = variants.map(() => 0);
  for (const k of kernelNames) {
    const ms = variants.map((v) => median(times.get(`${v.name}|${k}`)!));
    ms.forEach((x, i) => (totals[i] += x));
    console.log(
      `| ${k} | ${ms.map((x) => x.toFixed(1)).join(' | ')} | ${ms
        .slice(1)
        .map((x) => (x / ms[0]).toFixed(3))
        .join(' | ')} |`,
    );
  }
  console.log(
    `| sum | ${totals.map((x) => x.toFixed(1)).join(' | ')} | ${totals
      .slice(1)
      .map((x) => (x / totals[0]).toFixed(3))
      .join(' | ')} |`,
  );
  console.log(`identical records, histograms and sums in every repetition; load average at end: ${loadavg()}`);
}

await main();
