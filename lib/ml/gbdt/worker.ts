/**
 * A GBDT worker thread: one participant of the shard pool (pool.ts). It waits on the shared
 * mailbox, runs each job on its own shard and reports completion with Atomics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { histogramLayout } from './histogram.ts';
import { CTRL, JOB, SPIN_POLLS } from './pool.ts';
import { type SharedTrainState, ShardWorker } from './shard.ts';

const { state, participant: p } = workerData as { state: SharedTrainState; participant: number };
const layout = histogramLayout(state.numBins, state.withCounts);
const shard = new ShardWorker(state, layout);
const partial = state.partials.subarray(p * layout.size, (p + 1) * layout.size);
const c = state.control;

function run(job: number): void {
  if (job === JOB.START_TREE) {
    const apply = c[CTRL.APPLY_LEAVES];
    if (apply > 0) shard.applyTree(p, apply);
    partial.fill(0);
    shard.startTree(p, partial);
  } else if (job === JOB.APPLY) {
    shard.applyTree(p, c[CTRL.APPLY_LEAVES]);
  } else if (job === JOB.SPLIT) {
    const side = c[CTRL.SIDE];
    if (side !== 0) partial.fill(0);
    shard.split(p, c[CTRL.LEAF], c[CTRL.NEW_LEAF], c[CTRL.FEATURE], c[CTRL.BIN], side, side !== 0 ? partial : null);
  }
}

parentPort!.postMessage('ready');
let seq = 0;
for (;;) {
  let polls = 0;
  while (Atomics.load(c, CTRL.SEQ) === seq) {
    if (++polls >= SPIN_POLLS) {
      Atomics.wait(c, CTRL.SEQ, seq);
      polls = 0;
    }
  }
  seq = Atomics.load(c, CTRL.SEQ);
  const job = Atomics.load(c, CTRL.JOB);
  if (job === JOB.QUIT) break;
  try {
    run(job);
  } catch (error) {
    const text = new TextEncoder().encode(error instanceof Error ? (error.stack ?? error.message) : String(error));
    const n = Math.min(text.length, state.errorText.length - 1);
    state.errorText.set(text.subarray(0, n));
    state.errorText[n] = 0;
    Atomics.store(c, CTRL.ERROR, 1);
  }
  Atomics.add(c, CTRL.DONE, 1);
  Atomics.notify(c, CTRL.DONE);
}
