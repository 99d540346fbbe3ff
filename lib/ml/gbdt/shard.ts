/**
 * Row shards: the training rows are dealt, in fixed blocks, to the participants (the main thread
 * and the workers). Each participant owns a region of the shared record array (histogram.ts
 * RecordLayout: bins, label, gradient, hessian, score of one row) and keeps it partitioned by
 * leaf ([begin, end) per leaf, LightGBM's data partition, but moving whole records so that each
 * leaf's rows stay contiguous). It does the row work of its shard: gradients, score updates,
 * partitioning and histograms.
 *
 * All of this is shared memory, so the main thread can also do a small job for every shard by
 * itself. Histogram sums are exact (objective.ts), so the trees never depend on how rows were
 * dealt out or in which order they are: a model trained with 1 thread equals one trained with 2.
 */
import { type BinMapper, binRows } from './binning.ts';
import { type HistogramKernel, type HistogramLayout, type PartitionKernel, type RecordLayout, kernels, recordLayout } from './histogram.ts';
import { computeGradients } from './objective.ts';

/** Rows are dealt to participants in blocks of this many rows, round-robin. */
export const SHARD_BLOCK = 4096;

/** Everything the participants share; typed arrays over SharedArrayBuffers. */
export interface SharedTrainState {
  rows: number;
  cols: number;
  participants: number;
  maxLeaves: number;
  /** Gradient quantisation scale (objective.ts). */
  scale: number;
  withCounts: boolean;
  numBins: Int32Array;
  /** The row records: three views of one buffer. */
  u8: Uint8Array;
  i32: Int32Array;
  f64: Float64Array;
  /** Participant p owns records [regionStart[p], regionStart[p + 1]). */
  regionStart: Int32Array;
  /** Per participant and leaf: begin, end record; at ((p * maxLeaves) + leaf) * 2. */
  segments: Int32Array;
  /** Per participant a histogram (workers write theirs here; the main thread builds in place). */
  partials: Float64Array;
  /** Per participant: gradient and hessian sums of the shard (for the root). */
  totals: Float64Array;
  /** Leaf values of the tree to apply to the scores, by leaf id. */
  leafValues: Float64Array;
  /** Job mailbox, see pool.ts. */
  control: Int32Array;
  /** UTF-8 text of a worker's error (zero-terminated). */
  errorText: Uint8Array;
}

/** Region bounds: participant p gets blocks p, p + P, p + 2P, … of the rows. */
export function shardRegions(rows: number, participants: number): Int32Array {
  const start = new Int32Array(participants + 1);
  const blocks = Math.ceil(rows / SHARD_BLOCK);
  const sizes = new Int32Array(participants);
  for (let b = 0; b < blocks; b++) sizes[b % participants] += Math.min(SHARD_BLOCK, rows - b * SHARD_BLOCK);
  for (let p = 0; p < participants; p++) start[p + 1] = start[p] + sizes[p];
  return start;
}

/** Record index of every row (row r of block b goes to participant b % P, in row order). */
export function recordOfRows(rows: number, participants: number, regionStart: Int32Array): Int32Array {
  const dest = new Int32Array(rows);
  const next = Int32Array.from(regionStart.subarray(0, participants));
  for (let b = 0, r = 0; r < rows; b++) {
    const p = b % participants;
    const end = Math.min(rows, r + SHARD_BLOCK);
    for (; r < end; r++) dest[r] = next[p]++;
  }
  return dest;
}

/** Writes every row's bins, label and initial score into its record. */
export function fillRecords(
  state: SharedTrainState,
  values: Float32Array,
  labels: Uint8Array,
  mapper: BinMapper,
  initialScore: number,
): void {
  const rec = recordLayout(state.cols);
  const dest = recordOfRows(state.rows, state.participants, state.regionStart);
  binRows(values, state.cols, mapper, state.u8, 0, state.rows, rec.bytes, dest);
  const slots = rec.bytes / 8;
  for (let r = 0; r < state.rows; r++) {
    const i = dest[r];
    state.u8[i * rec.bytes + rec.labelByte] = labels[r];
    state.f64[i * slots + rec.scoreSlot] = initialScore;
  }
}

/** The row work of one participant, with its own scratch memory (not shared). */
export class ShardWorker {
  readonly state: SharedTrainState;
  readonly layout: HistogramLayout;
  readonly rec: RecordLayout;
  private readonly histogram: HistogramKernel;
  private readonly partition: PartitionKernel;
  private readonly sums = new Float64Array(2);

  constructor(state: SharedTrainState, layout: HistogramLayout) {
    this.state = state;
    this.layout = layout;
    this.rec = recordLayout(state.cols);
    const k = kernels(layout, this.rec);
    this.histogram = k.histogram;
    this.partition = k.partition;
  }

  /** Adds a tree's leaf values (leaves 0..numLeaves-1, state.leafValues) to shard p's scores. */
  applyTree(p: number, numLeaves: number): void {
    const { segments, f64, leafValues, maxLeaves } = this.state;
    const slots = this.rec.bytes / 8;
    const at = this.rec.scoreSlot;
    for (let leaf = 0; leaf < numLeaves; leaf++) {
      const s = (p * maxLeaves + leaf) * 2;
      const v = leafValues[leaf];
      const end = segments[s + 1];
      for (let i = segments[s]; i < end; i++) f64[i * slots + at] += v;
    }
  }

  /**
   * Start of a tree for shard p: gradients, the whole shard as the root leaf, the shard's root
   * histogram added into `out`, and its gradient/hessian sums into totals[2p], totals[2p + 1].
   */
  startTree(p: number, out: Float64Array): void {
    const st = this.state;
    const begin = st.regionStart[p];
    const end = st.regionStart[p + 1];
    this.sums.fill(0);
    computeGradients(st.u8, st.i32, st.f64, this.rec, begin, end, st.scale, this.sums);
    const s = p * st.maxLeaves * 2;
    st.segments[s] = begin;
    st.segments[s + 1] = end;
    st.totals[2 * p] = this.sums[0];
    st.totals[2 * p + 1] = this.sums[1];
    this.histogram(st.u8, st.i32, begin, end, out);
  }

  /**
   * Splits `leaf` of shard p: rows with bin(feature) <= bin stay in `leaf` (left), the others go to
   * `newLeaf` (right). The histogram of the left (side 1) or right
   * (side 2) part is added into `out` on the way; side 0 builds none. Returns the left row count.
   */
  split(p: number, leaf: number, newLeaf: number, feature: number, bin: number, side: number, out: Float64Array | null): number {
    const { segments, maxLeaves } = this.state;
    const s = (p * maxLeaves + leaf) * 2;
    const begin = segments[s];
    const end = segments[s + 1];
    const w = this.partition(this.state.u8, this.state.i32, begin, end, feature, bin, out === null ? 0 : side, out);
    segments[s + 1] = w;
    const n = (p * maxLeaves + newLeaf) * 2;
    segments[n] = w;
    segments[n + 1] = end;
    return w - begin;
  }
}
