/** Worker-thread entry: one paired bootstrap, so the gate's two bootstraps run on two cores. */
import { parentPort, workerData } from 'node:worker_threads';
import { pairedBootstrap, type BootstrapOptions } from '../lib/metrics/bootstrap.ts';

const { labels, candidate, champion, options } = workerData as {
  labels: Uint8Array;
  candidate: Float32Array;
  champion: Float32Array;
  options: BootstrapOptions;
};
parentPort!.postMessage(pairedBootstrap(labels, candidate, champion, options));
