/**
 * A GBDT worker thread (pool.ts): waits on the shared mailbox and claims pieces (shards) of each
 * posted job, adding its histograms into its own scratch area.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { histogramLayout } from './histogram.ts';
import { CTRL, JOB, SPIN_POLLS, claimPieces, piecesOf } from './pool.ts';
import { type SharedTrainState, ShardWorker } from './shard.ts';

const { state, participant: p } = workerData as { state: SharedTrainState; participant: number };
const layout = histogramLayout(state.numBins, state.withCounts);
const shard = new ShardWorker(state, layout, p);
const c = state.control;

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
  const mySeq = seq;
  try {
    claimPieces(shard, c, mySeq, job, piecesOf(job, state.shards), () => {
      shard.clear();
      Atomics.store(c, CTRL.USED + p, mySeq);
    });
  } catch (error) {
    const text = new TextEncoder().encode(error instanceof Error ? (error.stack ?? error.message) : String(error));
    const n = Math.min(text.length, state.errorText.length - 1);
    state.errorText.set(text.subarray(0, n));
    state.errorText[n] = 0;
    Atomics.store(c, CTRL.ERROR, 1);
    // Count the pieces this thread can no longer finish so the main thread does not hang.
    Atomics.store(c, CTRL.DONE, piecesOf(job, state.shards));
    Atomics.notify(c, CTRL.DONE);
  }
}
