/**
 * Runs several paired bootstraps at once, one worker thread each. The results are exactly those
 * of `pairedBootstrap` in the main thread (same seed, same resamples); only the wall time changes —
 * on a 500k-row window the AUC bootstrap alone takes several seconds.
 */
import { Worker } from 'node:worker_threads';
import type { BootstrapOptions, BootstrapResult } from '../lib/metrics/bootstrap.ts';

export function bootstrapInWorkers(
  labels: Uint8Array,
  candidate: Float32Array,
  champion: Float32Array,
  jobs: BootstrapOptions[],
): Promise<BootstrapResult[]> {
  return Promise.all(
    jobs.map(
      (options) =>
        new Promise<BootstrapResult>((resolve, reject) => {
          const worker = new Worker(new URL('./bootstrap-worker.ts', import.meta.url), {
            workerData: { labels, candidate, champion, options },
          });
          let settled = false;
          worker.once('message', (result: BootstrapResult) => {
            settled = true;
            resolve(result);
            void worker.terminate();
          });
          worker.once('error', (error) => {
            settled = true;
            reject(new Error(`bootstrap worker (${options.metric}) failed: ${error.message}`));
          });
          worker.once('exit', (code) => {
            if (!settled)
              reject(new Error(`bootstrap worker (${options.metric}) exited with code ${code} before answering`));
          });
        }),
    ),
  );
}
