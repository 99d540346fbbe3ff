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

/** Valid flights for timing a session (any valid flights will do; lookups miss or hit alike). */
function probeFlights(rows: number): RawFlight[] {
  const airports = ['ORD', 'ATL', 'DFW', 'LAX', 'DEN', 'PHX', 'LAS', 'SFO'];
  return Array.from({ length: rows }, (_, i) => ({
    departure: `2001-05-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}`,
    distance: 200 + ((i * 97) % 2500),
    origin: airports[i % airports.length],
    destination: airports[(i + 3) % airports.length],
  }));
}

/**
 * The batch size from which a thread hop pays: the rows the in-thread session scores in
 * `targetMs` (features + inference), measured on a 64-row probe, within [16, 2048]. A model of 30
 * trees needs a few hundred rows to make a hop worth it, one of 400 trees a few dozen.
 */
export async function workerThreshold(scorer: Scorer, targetMs: number): Promise<number> {
  const probe = probeFlights(64);
  // A fresh session (and cold JIT) is several times slower than a warm one: warm up first.
  for (let i = 0; i < 30; i++) await scorer.scoreFlights(probe);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const r = await scorer.scoreFlights(probe);
    times.push(r.featuresMs + r.inferenceMs);
  }
  times.sort((a, b) => a - b);
  const msPerRow = times[7] / probe.length;
  return Math.max(16, Math.min(2048, Math.ceil(targetMs / msPerRow)));
}
