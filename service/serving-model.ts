/**
 * A model that passed every check, as the service serves it: its card, the airports it knows, and
 * an in-flight count, so a replaced model frees its ONNX Runtime session only when its last
 * request ends. `LoadError` is why a model was refused.
 */
import type { RawFlight } from '../lib/features/spec.ts';
import type { ManifestEntry } from '../lib/manifest/schema.ts';
import type { KnownKeys } from '../lib/onnx/graph.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import type { Logger } from './logger.ts';
import type { FlightScores, Scorer } from './scorer.ts';
import type { LoadFailureReason } from './service-metrics.ts';

export type Role = 'champion' | 'challenger';

export class LoadError extends Error {
  readonly reason: LoadFailureReason;
  constructor(reason: LoadFailureReason, message: string) {
    super(message);
    this.name = 'LoadError';
    this.reason = reason;
  }
}

/** A verified model and its in-flight count. */
export class ServingModel {
  readonly version: string;
  readonly sha256: string;
  readonly path: string;
  readonly card: ModelCard;
  readonly threshold: number;
  readonly loadedAt: number;
  readonly revision: string;
  readonly knownOrigins: ReadonlySet<string>;
  readonly knownDestinations: ReadonlySet<string>;
  readonly #scorer: Scorer;
  readonly #log: Logger;
  #inflight = 0;
  #retired = false;
  #released = false;

  constructor(
    entry: ManifestEntry,
    card: ModelCard,
    known: KnownKeys,
    scorer: Scorer,
    revision: string,
    loadedAt: number,
    log: Logger,
  ) {
    this.version = entry.version;
    this.sha256 = entry.sha256;
    this.path = entry.path;
    this.card = card;
    this.threshold = card.threshold;
    this.revision = revision;
    this.loadedAt = loadedAt;
    this.#scorer = scorer;
    this.#log = log;
    this.knownOrigins = known.get('origin') ?? new Set();
    this.knownDestinations = known.get('destination') ?? new Set();
  }

  get inflight(): number {
    return this.#inflight;
  }

  get released(): boolean {
    return this.#released;
  }

  scoreFlights(flights: readonly RawFlight[]): Promise<FlightScores> {
    if (this.#released)
      return Promise.reject(
        new Error(`model ${this.version} was already released (a request scored without holding it)`),
      );
    return this.#scorer.scoreFlights(flights);
  }

  hold(): void {
    this.#inflight++;
  }

  /** Ends one hold; frees the session if the model was replaced and this was the last one. */
  letGo(): void {
    this.#inflight--;
    if (this.#inflight === 0 && this.#retired) this.#free();
  }

  /** No new requests will get this model; free it once in-flight ones are done. */
  retire(): void {
    this.#retired = true;
    if (this.#inflight === 0) this.#free();
  }

  #free(): void {
    if (this.#released) return;
    this.#released = true;
    this.#scorer.release().then(
      () => this.#log.info('model_released', { version: this.version }),
      (error: unknown) => this.#log.warn('model_release_failed', { version: this.version, error }),
    );
  }
}
