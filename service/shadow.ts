/**
 * Shadow scoring: the challenger scores the rows the champion answered, after the response, from a
 * queue of its own (so it never joins, and slows, a served batch), and the disagreement is counted.
 */
import type { RawFlight } from '../lib/features/spec.ts';
import { MicroBatcher } from './batcher.ts';
import type { Logger } from './logger.ts';
import type { HeldModel } from './app.ts';
import { perVersion, type ServiceMetrics } from './service-metrics.ts';

export interface ShadowOptions {
  metrics: ServiceMetrics;
  logger: Logger;
  batching: { maxBatchRows: number; maxWaitMs: number; concurrency?: number };
  now: () => number;
  /** The challenger, held until `letGo()`. */
  acquire: () => HeldModel | null;
}

export type ShadowScorer = (flights: readonly RawFlight[], served: Float32Array, servedThreshold: number) => void;

/** A function that shadow-scores rows the champion served (skipped when the shadow queue is full). */
export function shadowScorer({ metrics, logger, batching, now, acquire }: ShadowOptions): ShadowScorer {
  const inference = perVersion((v) => metrics.modelInference.labels(v, 'shadow'));
  // Its own calls are timed too, so the evidence of a release step compares the two models' latency.
  const batcher = new MicroBatcher({
    ...batching,
    now,
    onBatch: (b) => inference(b.version).observe(b.featuresSeconds + b.inferenceSeconds),
  });
  const series = perVersion((v) => ({
    predictions: metrics.shadowPredictions.labels(v),
    disagreements: metrics.shadowDisagreements.labels(v),
    difference: metrics.shadowDifference.labels(v),
  }));
  return (flights, served, servedThreshold) => {
    if (batcher.queuedRows + flights.length > batching.maxBatchRows * 4) {
      metrics.shadowSkipped.inc(flights.length);
      return;
    }
    const model = acquire();
    if (!model) return;
    batcher
      .submit(model, flights)
      .result.then(
        (scores) => {
          const s = series(model.version);
          let disagreements = 0;
          for (let i = 0; i < scores.length; i++) {
            s.difference.observe(Math.abs(scores[i] - served[i]));
            if (scores[i] >= model.threshold !== served[i] >= servedThreshold) disagreements++;
          }
          s.predictions.inc(scores.length);
          if (disagreements > 0) s.disagreements.inc(disagreements);
        },
        (error: unknown) => logger.warn('shadow_failed', { version: model.version, error }),
      )
      .finally(() => model.letGo());
  };
}
