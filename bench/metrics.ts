/**
 * Timing of the metrics on evaluation-sized synthetic data: metricSet and a paired bootstrap of
 * 500k rows × 1000 iterations. Run: node bench/metrics.ts [rows] [iterations]
 */
import { metricSet } from '../lib/metrics/classification.ts';
import { pairedBootstrap } from '../lib/metrics/bootstrap.ts';
import { createRandom } from '../lib/util/random.ts';

const rows = Number(process.argv[2] ?? 500_000);
const iterations = Number(process.argv[3] ?? 1000);

// Two correlated models, as a retrained candidate and its champion are; float32 like ORT output.
const random = createRandom(2024);
const labels = new Uint8Array(rows);
const candidate = new Float32Array(rows);
const champion = new Float32Array(rows);
for (let i = 0; i < rows; i++) {
  labels[i] = random() < 0.2 ? 1 : 0;
  const shared = random();
  candidate[i] = 1 / (1 + Math.exp(-(3 * shared - 2 + 1.2 * labels[i] + 0.5 * random())));
  champion[i] = 1 / (1 + Math.exp(-(3 * shared - 2 + 1.0 * labels[i] + 0.5 * random())));
}

/** Wall and CPU time: on a shared machine the CPU time is the fairer figure. */
function timed<T>(label: string, run: () => T): T {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(cpu);
  console.log(
    `${label}: ${((performance.now() - started) / 1000).toFixed(2)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU`,
  );
  return result;
}

timed(`metricSet, ${rows} rows`, () => metricSet(labels, candidate));
for (const metric of ['auc', 'recallAtBudget'] as const) {
  const result = timed(`pairedBootstrap ${metric}, ${rows} rows × ${iterations} iterations`, () =>
    pairedBootstrap(labels, candidate, champion, { metric, iterations, seed: 1 }),
  );
  console.log(
    `  candidate ${result.candidate.toFixed(4)}, champion ${result.champion.toFixed(4)}, delta ${result.delta.toFixed(4)} [${result.lo.toFixed(4)}, ${result.hi.toFixed(4)}]`,
  );
}
