/**
 * `npm run bench:kernels [-- --reps 9 --rows N --wasm <dir>]`
 *
 * Kernel-level benchmark of the GBDT training kernels on the production shape (the bench:train
 * feature matrix: Jan–Apr 2001, 13 features, 255 bins, today's record layout): binning, start of
 * a tree (score update + gradients), root histogram, and splits (partition + the histogram of
 * one side, as shard.ts does). The WebAssembly kernels (lib/ml/gbdt/kernels/*.wasm) and the
 * reference kernels (plain TypeScript), and with `--wasm <dir>` a second build of the WebAssembly
 * kernels (records.wasm and gradients.wasm in <dir>, e.g. a change under test against the
 * committed one), run side by side in one process on identical inputs, each on its own memory,
 * interleaved (ABBA…) so a busy machine slows all alike, timed in CPU time of this thread; every
 * repetition checks that all left identical records, histograms and sums. Prints median CPU ms
 * per kernel, the ratios, and the load average.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadFlights, selectWindow } from '../lib/data/flights.ts';
import { computeBinMapper, paddedThresholds } from '../lib/ml/gbdt/binning.ts';
import { type TrainingKernels, histogramLayout, recordLayout } from '../lib/ml/gbdt/histogram.ts';
import { gradientScale } from '../lib/ml/gbdt/objective.ts';
import { referenceKernels } from '../lib/ml/gbdt/reference-kernels.ts';
import { SHARD_BLOCK } from '../lib/ml/gbdt/shard.ts';
import {
  type KernelModules,
  type WasmModule,
  kernelModules,
  sharedMemory,
  wasmKernels,
} from '../lib/ml/gbdt/wasm-kernels.ts';
import { buildSplit } from '../lib/training/dataset.ts';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '9' },
    rows: { type: 'string' },
    /** A folder with another build of records.wasm and gradients.wasm to compare. */
    wasm: { type: 'string' },
  },
});
const reps = Number(args.reps);

/** One implementation over its own memory. */
interface Variant {
  name: string;
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

  const splitWith =
    (k: TrainingKernels) => (b: number, e: number, f: number, bin: number, side: number, hist: number) => {
      const mid = k.partition(b, e, f, bin);
      if (side === 1) k.histogram(b, mid, hist);
      else k.histogram(mid, e, hist);
      return mid;
    };
  const variant = (name: string, make: (memory: ReturnType<typeof sharedMemory>) => TrainingKernels): Variant => {
    const memory = sharedMemory(bytes);
    const kernels = make(memory);
    return { name, memory: memory.buffer, kernels, split: splitWith(kernels) };
  };
  const variants = [
    variant('WebAssembly (kernels/*.wasm)', (memory) => wasmKernels(kernelModules(), memory, layout, rec)),
    variant('reference (TypeScript)', (memory) => referenceKernels(memory.buffer, layout, rec)),
  ];
  if (args.wasm) {
    const WA = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule } })
      .WebAssembly;
    const load = (name: string) => new WA.Module(readFileSync(path.join(args.wasm!, name)));
    const modules: KernelModules = { records: load('records.wasm'), gradients: load('gradients.wasm') };
    variants.push(variant(`WebAssembly (${args.wasm})`, (memory) => wasmKernels(modules, memory, layout, rec)));
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
    const hist = new Float64Array(v.memory, histAt, layout.size);
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

  /** Throws unless variant v left the same records, histogram and sums (bytes) as variant a. */
  const check = (a: Variant, v: Variant, rep: number) => {
    if (Buffer.compare(new Uint8Array(a.memory, 0, thresholdsAt), new Uint8Array(v.memory, 0, thresholdsAt)) !== 0) {
      throw new Error(`repetition ${rep}: ${v.name} left different records, histograms or sums than ${a.name}`);
    }
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
