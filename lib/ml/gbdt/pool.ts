/**
 * The main thread's side of the row work: a RowEngine over the shards (shard.ts), run by the
 * main thread (participant 0) together with worker threads (participants 1..P-1).
 *
 * Jobs go through a shared mailbox (Int32Array over a SharedArrayBuffer) with Atomics, not
 * postMessage, because a tree needs one job per split (a few hundred per tree) and a message
 * round trip costs far more than the work for a small leaf. Small leaves are done by the main
 * thread alone, for every shard (all memory is shared). Worker histograms are summed into the
 * main one; the sums are exact, so the result does not depend on the number of threads.
 */
import { Worker } from 'node:worker_threads';
import { addHistogram, type HistogramLayout } from './histogram.ts';
import { type SharedTrainState, ShardWorker } from './shard.ts';
import type { RowEngine } from './tree-learner.ts';

/** Mailbox slots. */
export const CTRL = {
  SEQ: 0,
  DONE: 1,
  ERROR: 2,
  JOB: 3,
  LEAF: 4,
  NEW_LEAF: 5,
  FEATURE: 6,
  BIN: 7,
  SIDE: 8,
  APPLY_LEAVES: 9,
  SIZE: 16,
} as const;

export const JOB = { START_TREE: 1, SPLIT: 2, APPLY: 3, QUIT: 4 } as const;

/** Busy-wait this many polls before sleeping in Atomics.wait (jobs are often tens of µs apart). */
export const SPIN_POLLS = 2_000;

/** Leaves with fewer rows than this are split by the main thread alone. */
export const PARALLEL_MIN_ROWS = 16_384;

/** A job that takes longer than this means a worker is gone. */
const JOB_TIMEOUT_MS = 300_000;

export class ShardPool implements RowEngine {
  readonly state: SharedTrainState;
  readonly layout: HistogramLayout;
  private readonly local: ShardWorker;
  private readonly workers: Worker[] = [];
  private readonly partials: Float64Array[] = [];
  private closed = false;

  constructor(state: SharedTrainState, layout: HistogramLayout) {
    this.state = state;
    this.layout = layout;
    this.local = new ShardWorker(state, layout);
    for (let p = 0; p < state.participants; p++) {
      this.partials.push(state.partials.subarray(p * layout.size, (p + 1) * layout.size));
    }
  }

  /** Starts the workers and resolves when every one has loaded. */
  async start(): Promise<void> {
    const loading: Promise<void>[] = [];
    for (let p = 1; p < this.state.participants; p++) {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: { state: this.state, participant: p } });
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
    out.fill(0);
    if (this.workers.length === 0) {
      for (let p = 0; p < st.participants; p++) {
        if (applyLeaves > 0) this.local.applyTree(p, applyLeaves);
        this.local.startTree(p, out);
      }
    } else {
      const c = st.control;
      c[CTRL.APPLY_LEAVES] = applyLeaves;
      this.post(JOB.START_TREE);
      if (applyLeaves > 0) this.local.applyTree(0, applyLeaves);
      this.local.startTree(0, out);
      this.waitWorkers();
      for (let p = 1; p < st.participants; p++) addHistogram(out, this.partials[p], this.layout.size);
    }
    let g = 0;
    let h = 0;
    for (let p = 0; p < st.participants; p++) {
      g += st.totals[2 * p];
      h += st.totals[2 * p + 1];
    }
    return [g, h];
  }

  /** Adds a tree's leaf values (already in state.leafValues) to the training scores. */
  applyTree(numLeaves: number): void {
    if (this.workers.length === 0) {
      for (let p = 0; p < this.state.participants; p++) this.local.applyTree(p, numLeaves);
      return;
    }
    this.state.control[CTRL.APPLY_LEAVES] = numLeaves;
    this.post(JOB.APPLY);
    this.local.applyTree(0, numLeaves);
    this.waitWorkers();
  }

  split(leaf: number, newLeaf: number, feature: number, bin: number, side: number, out: Float64Array | null, rows: number): number {
    const st = this.state;
    let leftRows = 0;
    if (this.workers.length === 0 || rows < PARALLEL_MIN_ROWS) {
      for (let p = 0; p < st.participants; p++) leftRows += this.local.split(p, leaf, newLeaf, feature, bin, side, out);
      return leftRows;
    }
    const c = st.control;
    c[CTRL.LEAF] = leaf;
    c[CTRL.NEW_LEAF] = newLeaf;
    c[CTRL.FEATURE] = feature;
    c[CTRL.BIN] = bin;
    c[CTRL.SIDE] = out === null ? 0 : side;
    this.post(JOB.SPLIT);
    leftRows = this.local.split(0, leaf, newLeaf, feature, bin, side, out);
    this.waitWorkers();
    const { segments, maxLeaves } = st;
    for (let p = 1; p < st.participants; p++) {
      const s = (p * maxLeaves + leaf) * 2;
      leftRows += segments[s + 1] - segments[s];
      if (out !== null) addHistogram(out, this.partials[p], this.layout.size);
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

  private post(job: number): void {
    const c = this.state.control;
    Atomics.store(c, CTRL.DONE, 0);
    Atomics.store(c, CTRL.JOB, job);
    Atomics.add(c, CTRL.SEQ, 1);
    Atomics.notify(c, CTRL.SEQ);
  }

  private waitWorkers(): void {
    const c = this.state.control;
    const want = this.workers.length;
    let polls = 0;
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(c, CTRL.DONE);
      if (done >= want) break;
      if (++polls < SPIN_POLLS) continue;
      Atomics.wait(c, CTRL.DONE, done, 1000);
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
