/**
 * Row shards: the training rows are dealt, in fixed blocks, to SHARDS shards (a fixed number, not
 * the number of threads). Each shard is a region of the shared record array (histogram.ts
 * RecordLayout: bins, label, gradient, hessian, score of one row) kept partitioned by leaf
 * ([begin, end) per leaf, LightGBM's data partition, but swapping whole records so each leaf's
 * rows stay contiguous). The row work of a job (gradients, score updates, partition, histograms)
 * is done shard by shard, by whichever thread claims the shard (pool.ts).
 *
 * Histogram sums are exact (objective.ts), so the trees never depend on which thread did which
 * shard or on the row order: a model trained with 1 thread is identical to one trained with 2.
 * The loops themselves are WebAssembly (wasm-kernels.ts) over a shared WebAssembly.Memory.
 */
import { type BinMapper, paddedThresholds } from './binning.ts';
import { type HistogramLayout, type RecordLayout, type TrainingKernels, recordLayout } from './histogram.ts';
import { type WasmMemory, type KernelModules, wasmKernels } from './wasm-kernels.ts';

/** Rows are dealt to shards in blocks of this many rows, round-robin. */
export const SHARD_BLOCK = 4096;
/** Number of shards: the unit of work a thread claims within a job. */
export const SHARDS = 16;

/** Everything the participants share; typed arrays over SharedArrayBuffers. */
export interface SharedTrainState {
  rows: number;
  cols: number;
  /** Threads taking part (main + workers); one histogram scratch area each. */
  participants: number;
  shards: number;
  maxLeaves: number;
  /** Gradient quantisation scale (objective.ts). */
  scale: number;
  withCounts: boolean;
  numBins: Int32Array;
  /** Shared WebAssembly memory: the records from byte 0, then the scratch areas. */
  memory: WasmMemory;
  /** The compiled kernels (wasm-kernels.ts kernelModules). */
  modules: KernelModules;
  /** The records: three views of the memory. */
  u8: Uint8Array;
  i32: Int32Array;
  f64: Float64Array;
  /** Byte address of participant 0's scratch; participant p's is at scratchAt + p * scratchBytes. */
  scratchAt: number;
  /** A scratch area: a histogram (layout.size doubles) then the gradient and hessian sums. */
  scratchBytes: number;
  /** Shard s owns records [regionStart[s], regionStart[s + 1]). */
  regionStart: Int32Array;
  /** Per shard and leaf: begin, end record; at ((s * maxLeaves) + leaf) * 2. */
  segments: Int32Array;
  /** Leaf values of the tree to apply to the scores, by leaf id. */
  leafValues: Float64Array;
  /**
   * Per leaf id: [feature, bin, right leaf] of a final split that was not partitioned (both
   * children are leaves for good, so only the score update needs to tell them apart); feature -1
   * for none. The right leaf's segments are empty.
   */
  virtual: Int32Array;
  /** Job mailbox, see pool.ts. */
  control: Int32Array;
  /** UTF-8 text of a worker's error (zero-terminated). */
  errorText: Uint8Array;
}

/** Bytes of one scratch area (64-byte aligned). */
export function scratchSize(layout: HistogramLayout): number {
  return Math.ceil((layout.size * 8 + 16) / 64) * 64;
}

/** Region bounds: shard s gets blocks s, s + S, s + 2S, … of the rows. */
export function shardRegions(rows: number, shards: number): Int32Array {
  const start = new Int32Array(shards + 1);
  const blocks = Math.ceil(rows / SHARD_BLOCK);
  const sizes = new Int32Array(shards);
  for (let b = 0; b < blocks; b++) sizes[b % shards] += Math.min(SHARD_BLOCK, rows - b * SHARD_BLOCK);
  for (let s = 0; s < shards; s++) start[s + 1] = start[s] + sizes[s];
  return start;
}

/** Scratch bytes fillRecords needs (thresholds and one block of values). */
export function binScratchSize(cols: number): number {
  return cols * 2048 + SHARD_BLOCK * cols * 4;
}

/**
 * Writes every row's bins, label and initial score into its record (row r of block b goes to
 * shard b % S, in row order), binning with `kernels`; `scratchAt` is a region of
 * binScratchSize(cols) bytes of the memory that is free during the fill.
 */
export function fillRecords(
  state: Pick<SharedTrainState, 'rows' | 'cols' | 'shards' | 'regionStart' | 'memory' | 'u8' | 'f64'>,
  kernels: TrainingKernels,
  values: Float32Array,
  labels: Uint8Array,
  mapper: BinMapper,
  initialScore: number,
  scratchAt: number,
): void {
  const { cols, rows, shards } = state;
  const rec = recordLayout(cols);
  const thresholdsAt = scratchAt;
  const valuesAt = scratchAt + cols * 2048;
  const padded = new Float64Array(state.memory.buffer, thresholdsAt, cols * 256);
  paddedThresholds(mapper).forEach((t, f) => padded.set(t, f * 256));
  const block = new Float32Array(state.memory.buffer, valuesAt, SHARD_BLOCK * cols);
  const next = Int32Array.from(state.regionStart.subarray(0, shards));
  const slots = rec.bytes / 8;
  for (let b = 0, r = 0; r < rows; b++) {
    const shard = b % shards;
    const count = Math.min(SHARD_BLOCK, rows - r);
    const dst = next[shard];
    block.set(values.subarray(r * cols, (r + count) * cols));
    kernels.bin(valuesAt, count, dst, thresholdsAt);
    for (let i = 0; i < count; i++) {
      state.u8[(dst + i) * rec.bytes + rec.labelByte] = labels[r + i];
      state.f64[(dst + i) * slots + rec.scoreSlot] = initialScore;
    }
    next[shard] += count;
    r += count;
  }
}

/** The row work on shards for one thread (participant), into that thread's scratch area. */
export class ShardWorker {
  readonly state: SharedTrainState;
  readonly layout: HistogramLayout;
  readonly rec: RecordLayout;
  /** Byte address of this thread's histogram, and of its gradient/hessian sums. */
  readonly histAt: number;
  readonly sumsAt: number;
  /** This thread's histogram and sums as views. */
  readonly hist: Float64Array;
  readonly sums: Float64Array;
  private readonly k: TrainingKernels;

  constructor(state: SharedTrainState, layout: HistogramLayout, participant: number) {
    this.state = state;
    this.layout = layout;
    this.rec = recordLayout(state.cols);
    this.k = wasmKernels(state.modules, state.memory, layout, this.rec);
    this.histAt = state.scratchAt + participant * state.scratchBytes;
    this.sumsAt = this.histAt + layout.size * 8;
    const buffer = state.memory.buffer;
    this.hist = new Float64Array(buffer, this.histAt, layout.size);
    this.sums = new Float64Array(buffer, this.sumsAt, 2);
  }

  /** Zeroes this thread's histogram and sums (before its first piece of a job). */
  clear(): void {
    this.hist.fill(0);
    this.sums.fill(0);
  }

  /** Adds a tree's leaf values (leaves 0..numLeaves-1, state.leafValues) to shard p's scores. */
  applyTree(p: number, numLeaves: number): void {
    const { segments, u8, f64, leafValues, virtual, maxLeaves } = this.state;
    const bytes = this.rec.bytes;
    const slots = bytes / 8;
    const at = this.rec.scoreSlot;
    for (let leaf = 0; leaf < numLeaves; leaf++) {
      const s = (p * maxLeaves + leaf) * 2;
      const end = segments[s + 1];
      const vf = virtual[leaf * 3];
      const feature = vf >= 0 ? vf : 0;
      const bin = vf >= 0 ? virtual[leaf * 3 + 1] : 255;
      const left = leafValues[leaf];
      const right = vf >= 0 ? leafValues[virtual[leaf * 3 + 2]] : left;
      for (let i = segments[s]; i < end; i++) f64[i * slots + at] += u8[i * bytes + feature] <= bin ? left : right;
    }
  }

  /**
   * Start of a tree for part `part` of `parts` of shard p (here and below `p` is a shard index):
   * applies the previous tree's leaves (applyLeaves > 0) to the part's records, computes their
   * gradients and adds their histogram and gradient/hessian sums to this thread's scratch. The
   * shard's root segment is set by resetRoot once every part is done.
   */
  startTree(p: number, part: number, parts: number, applyLeaves: number): void {
    const st = this.state;
    const { segments, virtual, leafValues, maxLeaves } = st;
    const size = st.regionStart[p + 1] - st.regionStart[p];
    const lo = st.regionStart[p] + Math.floor((size * part) / parts);
    const hi = st.regionStart[p] + Math.floor((size * (part + 1)) / parts);
    if (lo >= hi) return;
    if (applyLeaves === 0) {
      this.k.start(lo, hi, 0, 255, 0, 0, st.scale, this.sumsAt);
    } else {
      // Per leaf segment of the previous tree (clipped to the part): score update and gradients.
      for (let leaf = 0; leaf < applyLeaves; leaf++) {
        const s = (p * maxLeaves + leaf) * 2;
        const b = Math.max(lo, segments[s]);
        const e = Math.min(hi, segments[s + 1]);
        if (e <= b) continue;
        const vf = virtual[leaf * 3];
        const left = leafValues[leaf];
        const right = vf >= 0 ? leafValues[virtual[leaf * 3 + 2]] : left;
        const feature = vf >= 0 ? vf : 0;
        const bin = vf >= 0 ? virtual[leaf * 3 + 1] : 255;
        this.k.start(b, e, feature, bin, left, right, st.scale, this.sumsAt);
      }
    }
    this.k.histogram(lo, hi, this.histAt);
  }

  /** Makes every shard's whole region its root leaf (after the start-of-tree job). */
  resetRoot(): void {
    const { segments, regionStart, maxLeaves, shards } = this.state;
    for (let p = 0; p < shards; p++) {
      segments[p * maxLeaves * 2] = regionStart[p];
      segments[p * maxLeaves * 2 + 1] = regionStart[p + 1];
    }
  }

  /**
   * Splits `leaf` of shard p: rows with bin(feature) <= bin stay in `leaf` (left), the others go to
   * `newLeaf` (right). The histogram of the left (side 1) or right (side 2) part is added to this
   * thread's scratch (a pass over that part once partitioned); side 0 builds none. Returns the
   * left row count.
   */
  split(p: number, leaf: number, newLeaf: number, feature: number, bin: number, side: number): number {
    const { segments, maxLeaves } = this.state;
    const s = (p * maxLeaves + leaf) * 2;
    const begin = segments[s];
    const end = segments[s + 1];
    const w = this.k.partition(begin, end, feature, bin);
    if (side === 1) this.k.histogram(begin, w, this.histAt);
    else if (side === 2) this.k.histogram(w, end, this.histAt);
    segments[s + 1] = w;
    const n = (p * maxLeaves + newLeaf) * 2;
    segments[n] = w;
    segments[n + 1] = end;
    return w - begin;
  }
}
