/**
 * The main thread's side of the row work: a RowEngine over the shards (shard.ts), run by the
 * main thread together with worker threads.
 *
 * A job (start a tree, split a leaf, apply a tree) is one piece of work per shard. Threads claim
 * pieces dynamically from a shared counter, so a worker that the OS has descheduled (the machine
 * is shared) delays a job by at most the one piece it holds instead of half the job. Jobs go
 * through a shared mailbox with Atomics, not postMessage: a tree needs one job per split (a few
 * hundred per tree), and a message round trip costs more than the work for a small leaf. Small
 * leaves are done by the main thread alone (all memory is shared). Each thread adds its pieces'
 * histograms into its own partial; the sums are exact, so the model does not depend on which
 * thread did which piece.
 */
import { Worker } from 'node:worker_threads';
import { addHistogram, type HistogramLayout } from './histogram.ts';
import { type SharedTrainState, ShardWorker } from './shard.ts';
import type { RowEngine } from './tree-learner.ts';

/** Mailbox slots. */
export const CTRL = {
  /** Job sequence number, bumped (and notified) for each posted job. */
  SEQ: 0,
  /** Pieces finished in the current job. */
  DONE: 1,
  ERROR: 2,
  JOB: 3,
  LEAF: 4,
  NEW_LEAF: 5,
  FEATURE: 6,
  BIN: 7,
  SIDE: 8,
  APPLY_LEAVES: 9,
  /** (seq & 0x7fffff) << 8 | next unclaimed piece. */
  CLAIM: 10,
  /** From here, per participant: the seq of the last job it added pieces to its partial for. */
  USED: 16,
} as const;

export const CONTROL_SLOTS = 16 + 64;

export const JOB = { START_TREE: 1, SPLIT: 2, APPLY: 3, QUIT: 4 } as const;

/** Start-of-tree pieces per shard: it is the largest job, finer pieces balance the threads. */
export const START_PARTS = 4;

/** Pieces of a job. */
export function piecesOf(job: number, shards: number): number {
  return job === JOB.START_TREE ? shards * START_PARTS : shards;
}

/**
 * Busy-wait this many polls (~20 ns each) before sleeping in Atomics.wait. Jobs of one tree come
 * every few tens of µs; measured on 2M rows, 2,000 polls let the worker fall asleep before almost
 * every job (its wake-up then delays it), 10,000 cut that by 85% and the grow time by ~7%. Longer
 * spinning costs CPU when the machine is shared, so this stays in between.
 */
export const SPIN_POLLS = 5_000;

/** Leaves with fewer rows than this are split by the main thread alone. */
export const PARALLEL_MIN_ROWS = 8_192;

/** A job that takes longer than this means a worker is gone. */
const JOB_TIMEOUT_MS = 300_000;

export function claimWord(seq: number, piece: number): number {
  return ((seq & 0x7fffff) << 8) | piece;
}

/** Runs piece `piece` of the current job (params in the mailbox) on `shard`. */
export function runPiece(shard: ShardWorker, c: Int32Array, job: number, piece: number): void {
  if (job === JOB.START_TREE) {
    shard.startTree(Math.floor(piece / START_PARTS), piece % START_PARTS, START_PARTS, c[CTRL.APPLY_LEAVES]);
  } else if (job === JOB.APPLY) {
    shard.applyTree(piece, c[CTRL.APPLY_LEAVES]);
  } else if (job === JOB.SPLIT) {
    shard.split(piece, c[CTRL.LEAF], c[CTRL.NEW_LEAF], c[CTRL.FEATURE], c[CTRL.BIN], c[CTRL.SIDE]);
  }
}

/**
 * Claims and runs pieces of job `seq` until none are left; returns how many it ran. `before` runs
 * once before the first piece (a worker zeroes its partial there).
 */
export function claimPieces(
  shard: ShardWorker,
  c: Int32Array,
  seq: number,
  job: number,
  pieces: number,
  before: (() => void) | null,
): number {
  let ran = 0;
  for (;;) {
    const w = Atomics.load(c, CTRL.CLAIM);
    const piece = w & 0xff;
    if (w >>> 8 !== (seq & 0x7fffff) || piece >= pieces) return ran;
    if (Atomics.compareExchange(c, CTRL.CLAIM, w, w + 1) !== w) continue;
    if (ran === 0 && before) before();
    ran++;
    runPiece(shard, c, job, piece);
    if (Atomics.add(c, CTRL.DONE, 1) + 1 === pieces) Atomics.notify(c, CTRL.DONE);
  }
}

export class ShardPool implements RowEngine {
  readonly state: SharedTrainState;
  readonly layout: HistogramLayout;
  private readonly local: ShardWorker;
  private readonly workers: Worker[] = [];
  /** Every participant's scratch histogram and sums (shared memory). */
  private readonly hists: Float64Array[] = [];
  private readonly sums: Float64Array[] = [];
  private seq = 0;
  private closed = false;

  constructor(state: SharedTrainState, layout: HistogramLayout) {
    this.state = state;
    this.layout = layout;
    this.local = new ShardWorker(state, layout, 0);
    for (let p = 0; p < state.participants; p++) {
      const at = state.scratchAt + p * state.scratchBytes;
      this.hists.push(new Float64Array(state.memory.buffer, at, layout.size));
      this.sums.push(new Float64Array(state.memory.buffer, at + layout.size * 8, 2));
    }
  }

  /** Starts the workers and resolves when every one has loaded. */
  async start(): Promise<void> {
    const loading: Promise<void>[] = [];
    for (let p = 1; p < this.state.participants; p++) {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), {
        workerData: { state: this.state, participant: p },
      });
      this.workers.push(worker);
      loading.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`gbdt worker ${p} exited with code ${code} before starting`)));
        }),
      );
    }
    await Promise.all(loading);
    for (const worker of this.workers) worker.removeAllListeners('exit');
  }

  /** Applies the previous tree (numLeaves > 0) and starts a new one; returns [sumG, sumH]. */
  startTree(applyLeaves: number, out: Float64Array): [number, number] {
    const st = this.state;
    st.control[CTRL.APPLY_LEAVES] = applyLeaves;
    const used = this.run(JOB.START_TREE, out, true);
    this.local.resetRoot();
    st.virtual.fill(-1);
    let g = 0;
    let h = 0;
    for (let p = 0; p < st.participants; p++) {
      if (!used[p]) continue;
      g += this.sums[p][0];
      h += this.sums[p][1];
    }
    return [g, h];
  }

  /** Adds a tree's leaf values (already in state.leafValues) to the training scores. */
  applyTree(numLeaves: number): void {
    this.state.control[CTRL.APPLY_LEAVES] = numLeaves;
    this.run(JOB.APPLY, null, true);
    this.state.virtual.fill(-1);
  }

  split(
    leaf: number,
    newLeaf: number,
    feature: number,
    bin: number,
    side: number,
    out: Float64Array | null,
    rows: number,
  ): number {
    const st = this.state;
    const c = st.control;
    const { segments, maxLeaves } = st;
    if (out === null) {
      // Final split: no partition; the score update tells the two leaves apart.
      st.virtual[leaf * 3] = feature;
      st.virtual[leaf * 3 + 1] = bin;
      st.virtual[leaf * 3 + 2] = newLeaf;
      for (let s = 0; s < st.shards; s++) {
        const end = segments[(s * maxLeaves + leaf) * 2 + 1];
        segments[(s * maxLeaves + newLeaf) * 2] = end;
        segments[(s * maxLeaves + newLeaf) * 2 + 1] = end;
      }
      return -1;
    }
    c[CTRL.LEAF] = leaf;
    c[CTRL.NEW_LEAF] = newLeaf;
    c[CTRL.FEATURE] = feature;
    c[CTRL.BIN] = bin;
    c[CTRL.SIDE] = out === null ? 0 : side;
    this.run(JOB.SPLIT, out, rows >= PARALLEL_MIN_ROWS);
    let leftRows = 0;
    for (let s = 0; s < st.shards; s++) {
      const at = (s * maxLeaves + leaf) * 2;
      leftRows += segments[at + 1] - segments[at];
    }
    return leftRows;
  }

  /** Stops the workers (idempotent); always call it, also after an error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = this.state.control;
    if (this.workers.length > 0) {
      Atomics.store(c, CTRL.JOB, JOB.QUIT);
      Atomics.add(c, CTRL.SEQ, 1);
      Atomics.notify(c, CTRL.SEQ);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /**
   * Runs one job over all shards (with `parallel`, workers may claim pieces too) and, when `out`
   * is given, sums the histograms of the threads that took part into it. Returns which
   * participants took part.
   */
  private run(job: number, out: Float64Array | null, parallel: boolean): boolean[] {
    const st = this.state;
    const c = st.control;
    const pieces = piecesOf(job, st.shards);
    const used = new Array<boolean>(st.participants).fill(false);
    used[0] = true;
    this.local.clear();
    if (this.workers.length === 0 || !parallel) {
      for (let piece = 0; piece < pieces; piece++) runPiece(this.local, c, job, piece);
    } else {
      const seq = ++this.seq;
      Atomics.store(c, CTRL.JOB, job);
      Atomics.store(c, CTRL.DONE, 0);
      Atomics.store(c, CTRL.CLAIM, claimWord(seq, 0));
      Atomics.store(c, CTRL.SEQ, seq);
      Atomics.notify(c, CTRL.SEQ);
      claimPieces(this.local, c, seq, job, pieces, null);
      this.waitDone(pieces);
      for (let p = 1; p < st.participants; p++) used[p] = Atomics.load(c, CTRL.USED + p) === seq;
    }
    if (out !== null) {
      out.set(this.hists[0]);
      for (let p = 1; p < st.participants; p++) if (used[p]) addHistogram(out, this.hists[p], this.layout.size);
    }
    return used;
  }

  private waitDone(pieces: number): void {
    const c = this.state.control;
    let polls = 0;
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(c, CTRL.DONE);
      if (done >= pieces) break;
      if (++polls < SPIN_POLLS) continue;
      Atomics.wait(c, CTRL.DONE, done, 100);
      if (Date.now() - started > JOB_TIMEOUT_MS) throw new Error('gbdt worker did not answer (timeout)');
    }
    if (Atomics.load(c, CTRL.ERROR) !== 0) {
      const bytes = this.state.errorText;
      const end = bytes.indexOf(0);
      const text = new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end));
      throw new Error(`gbdt worker failed: ${text}`);
    }
  }
}
