/**
 * How the service scores flights: in this thread (ONNX Runtime on the event loop), or on an
 * inference worker thread (`inference-worker.ts`). Either way a scorer takes validated raw flights,
 * builds the model inputs with `toModelInputs` (the one feature module) and runs the session, and
 * says how long each step took.
 */
import { toModelInputs } from '../lib/features/flight-features.ts';
import type { RawFlight } from '../lib/features/spec.ts';

export interface FlightScores {
  /** One probability per flight. */
  scores: Float32Array;
  featuresMs: number;
  inferenceMs: number;
}

export interface Scorer {
  scoreFlights(flights: readonly RawFlight[]): Promise<FlightScores>;
  release(): Promise<void>;
}

/** Loads an artifact; rejects with the loader's message (schema problems say "feature contract"). */
export type LoadScorer = (bytes: Uint8Array) => Promise<Scorer>;

/** What `lib/onnx/runtime.ts` loadOnnxScorer returns, as far as the service needs it. */
export interface InputScorer {
  score(inputs: ReturnType<typeof toModelInputs>): Promise<Float32Array>;
  release(): Promise<void>;
}

/** A scorer running in this thread. */
export function inThreadScorer(scorer: InputScorer): Scorer {
  return {
    async scoreFlights(flights) {
      const t0 = performance.now();
      const inputs = toModelInputs(flights);
      const t1 = performance.now();
      const scores = await scorer.score(inputs);
      return { scores, featuresMs: t1 - t0, inferenceMs: performance.now() - t1 };
    },
    release: () => scorer.release(),
  };
}

/**
 * Two sessions of one artifact: batches of at least `minRows` go to `large` (the worker thread),
 * smaller ones run on `small` (this thread). A lone request then costs no thread hop, while big
 * batches never block the event loop.
 */
export function splitScorer(small: Scorer, large: Scorer, minRows: number): Scorer {
  return {
    scoreFlights: (flights) => (flights.length >= minRows ? large : small).scoreFlights(flights),
    async release() {
      await Promise.all([small.release(), large.release()]);
    },
  };
}
