/**
 * Gradient/hessian histograms of a node: for every feature and bin, the sums of the (quantised,
 * see objective.ts) gradients and hessians of the node's rows in that bin, and optionally the row
 * count. One flat Float64Array per node, interleaved: hist[(offsets[f] + bin) * stride + k] with
 * k = 0 gradient, 1 hessian, 2 count (when stride is 3).
 *
 * Rows live in fixed-size records (RecordLayout): the feature bins, the label, the quantised
 * gradient and hessian (int32) and the raw score (float64). Partitioning a node swaps whole
 * records, so the rows of every node are contiguous and histograms are built by a sequential
 * scan (row order inside a node does not matter: the sums are exact). Measured on 2M flights: gathering rows through an index array cost ~77 ns/row in deep
 * nodes (a cache miss per row) against ~26 ns/row for a sequential scan.
 *
 * The hot loops are generated per layout (features unrolled, offsets as constants), which
 * measured about 1.8x faster than the generic nested loops.
 */

export interface HistogramLayout {
  cols: number;
  numBins: Int32Array;
  /** First bin slot of each feature. */
  offsets: Int32Array;
  totalBins: number;
  /** 3 when counts are accumulated, else 2. */
  stride: 2 | 3;
  /** totalBins * stride. */
  size: number;
}

export function histogramLayout(numBins: ArrayLike<number>, withCounts: boolean): HistogramLayout {
  const cols = numBins.length;
  const offsets = new Int32Array(cols);
  let total = 0;
  for (let f = 0; f < cols; f++) {
    offsets[f] = total;
    total += numBins[f];
  }
  const stride = withCounts ? 3 : 2;
  return { cols, numBins: Int32Array.from(numBins), offsets, totalBins: total, stride, size: total * stride };
}

/**
 * One row's record: bytes [0, cols) the bins, byte `cols` the label, then at int32 word gWord the
 * quantised gradient, gWord + 1 the hessian, and at float64 slot scoreSlot the raw score.
 */
export interface RecordLayout {
  cols: number;
  bytes: number;
  words: number;
  labelByte: number;
  gWord: number;
  scoreSlot: number;
}

export function recordLayout(cols: number): RecordLayout {
  const binBytes = Math.ceil((cols + 1) / 8) * 8;
  const bytes = binBytes + 16;
  return { cols, bytes, words: bytes / 4, labelByte: cols, gWord: binBytes / 4, scoreSlot: binBytes / 8 + 1 };
}

/** Adds records [begin, end) into `hist` (which is not cleared). */
export type HistogramKernel = (u8: Uint8Array, i32: Int32Array, begin: number, end: number, hist: Float64Array) => void;

/**
 * Partition of records [begin, end) (not stable): records with bin(feature) <= bin first, the
 * others after. Records of the left (side 1) or right (side 2) part are added to `hist` on the
 * way; side 0 adds none. Returns the first record of the right part.
 */
export type PartitionKernel = (
  u8: Uint8Array,
  i32: Int32Array,
  begin: number,
  end: number,
  feature: number,
  bin: number,
  side: number,
  hist: Float64Array | null,
) => number;

/**
 * Start of a tree over records [begin, end): adds to each record's score addLeft when
 * bin(feature) <= bin, else addRight (the previous tree's leaf value(s) of these records); then
 * computes its quantised gradient/hessian exactly like objective.ts computeGradients (with `exp`
 * = fastExp), adds the record to `hist` and the gradient/hessian sums to sums[0], sums[1].
 */
export type StartKernel = (
  u8: Uint8Array,
  i32: Int32Array,
  f64: Float64Array,
  begin: number,
  end: number,
  feature: number,
  bin: number,
  addLeft: number,
  addRight: number,
  scale: number,
  exp: (x: number) => number,
  hist: Float64Array,
  sums: Float64Array,
) => void;

export interface Kernels {
  histogram: HistogramKernel;
  partition: PartitionKernel;
  start: StartKernel;
}

const cache = new Map<string, Kernels>();

function accumulateLines(layout: HistogramLayout, rec: RecordLayout, indent: string, readGradients = true): string[] {
  // Expects `q` (record word index) and `b8` (record byte index) in scope, and `g`, `h` unless
  // readGradients.
  const lines = readGradients
    ? [`${indent}const g = i32[q + ${rec.gWord}];`, `${indent}const h = i32[q + ${rec.gWord + 1}];`]
    : [];
  lines.push(`${indent}let o = 0;`);
  for (let f = 0; f < layout.cols; f++) {
    if (layout.numBins[f] <= 1) continue;
    const at = `u8[b8 + ${f}]`;
    if (layout.stride === 3) {
      lines.push(`${indent}o = (${layout.offsets[f]} + ${at}) * 3; hist[o] += g; hist[o + 1] += h; hist[o + 2] += 1;`);
    } else {
      lines.push(`${indent}o = (${layout.offsets[f]} + ${at}) << 1; hist[o] += g; hist[o + 1] += h;`);
    }
  }
  return lines;
}

/** The generated kernels for a layout (cached). Features with a single bin are skipped. */
export function kernels(layout: HistogramLayout, rec: RecordLayout): Kernels {
  const key = `${layout.stride}|${rec.bytes}|${Array.from(layout.numBins).join(',')}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const W = rec.words;
  const B = rec.bytes;
  const hist = [
    'for (let i = begin; i < end; i++) {',
    `  const q = i * ${W};`,
    `  const b8 = i * ${B};`,
    ...accumulateLines(layout, rec, '  '),
    '}',
  ];
  // Hoare-style partition: scan from both ends, swap misplaced pairs. Only misplaced records
  // move (at most min(left, right) swaps, no scratch buffer); every record is classified once and
  // the records of the requested side are accumulated as they are classified.
  const swap = [
    ...Array.from({ length: W }, (_, k) => `const t${k} = i32[qi + ${k}];`),
    ...Array.from({ length: W }, (_, k) => `i32[qi + ${k}] = i32[qj + ${k}];`),
    ...Array.from({ length: W }, (_, k) => `i32[qj + ${k}] = t${k};`),
  ].join(' ');
  const part = [
    'let i = begin;',
    'let j = end - 1;',
    'for (;;) {',
    `  while (i <= j && u8[i * ${B} + feature] <= bin) {`,
    '    if (side === 1) {',
    `      const q = i * ${W};`,
    `      const b8 = i * ${B};`,
    ...accumulateLines(layout, rec, '      '),
    '    }',
    '    i++;',
    '  }',
    `  while (i <= j && u8[j * ${B} + feature] > bin) {`,
    '    if (side === 2) {',
    `      const q = j * ${W};`,
    `      const b8 = j * ${B};`,
    ...accumulateLines(layout, rec, '      '),
    '    }',
    '    j--;',
    '  }',
    '  if (i >= j) break;',
    `  const qi = i * ${W};`,
    `  const qj = j * ${W};`,
    `  ${swap}`,
    '  if (side === 1) {',
    '    const q = qi;',
    `    const b8 = i * ${B};`,
    ...accumulateLines(layout, rec, '    '),
    '  } else if (side === 2) {',
    '    const q = qj;',
    `    const b8 = j * ${B};`,
    ...accumulateLines(layout, rec, '    '),
    '  }',
    '  i++;',
    '  j--;',
    '}',
    'return i;',
  ];
  const start = [
    'let sg = 0;',
    'let sh = 0;',
    'for (let i = begin; i < end; i++) {',
    `  const q = i * ${W};`,
    `  const b8 = i * ${B};`,
    `  const at = i * ${B / 8} + ${rec.scoreSlot};`,
    '  const s = f64[at] + (u8[b8 + feature] <= bin ? addLeft : addRight);',
    '  f64[at] = s;',
    '  const p = 1 / (1 + exp(-s));',
    `  const g = Math.floor((p - u8[b8 + ${rec.labelByte}]) * scale + 0.5);`,
    '  const hq = Math.floor(p * (1 - p) * scale + 0.5);',
    '  const h = hq > 1 ? hq : 1;',
    `  i32[q + ${rec.gWord}] = g;`,
    `  i32[q + ${rec.gWord + 1}] = h;`,
    '  sg += g;',
    '  sh += h;',
    ...accumulateLines(layout, rec, '  ', false),
    '}',
    'sums[0] += sg;',
    'sums[1] += sh;',
  ];
  // Named functions, so that CPU profiles show them.
  const result: Kernels = {
    start: new Function(
      `return function startKernel(u8, i32, f64, begin, end, feature, bin, addLeft, addRight, scale, exp, hist, sums) {\n${start.join('\n')}\n};`,
    )() as StartKernel,
    histogram: new Function(
      `return function histogramKernel(u8, i32, begin, end, hist) {\n${hist.join('\n')}\n};`,
    )() as HistogramKernel,
    partition: new Function(
      `return function partitionKernel(u8, i32, begin, end, feature, bin, side, hist) {\n${part.join('\n')}\n};`,
    )() as PartitionKernel,
  };
  cache.set(key, result);
  return result;
}

/** Plain reference implementation of the histogram kernel (adds into `hist`), for tests. */
export function buildHistogram(
  layout: HistogramLayout,
  rec: RecordLayout,
  u8: Uint8Array,
  i32: Int32Array,
  begin: number,
  end: number,
  hist: Float64Array,
): void {
  const { cols, offsets, stride } = layout;
  for (let i = begin; i < end; i++) {
    const g = i32[i * rec.words + rec.gWord];
    const h = i32[i * rec.words + rec.gWord + 1];
    for (let f = 0; f < cols; f++) {
      if (layout.numBins[f] <= 1) continue;
      const o = (offsets[f] + u8[i * rec.bytes + f]) * stride;
      hist[o] += g;
      hist[o + 1] += h;
      if (stride === 3) hist[o + 2] += 1;
    }
  }
}

/** parent -= child, in place: the histogram of the sibling of `child`. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, size: number): void {
  for (let i = 0; i < size; i++) parent[i] -= child[i];
}

/** dst += src. */
export function addHistogram(dst: Float64Array, src: Float64Array, size: number): void {
  for (let i = 0; i < size; i++) dst[i] += src[i];
}
