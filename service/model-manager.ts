/**
 * Follows the production manifest in git and keeps exactly one verified model serving.
 *
 * A candidate is swapped in only after every check passes: the artifact exists at the manifest's
 * revision, its sha256 matches the manifest and the card, it parses as ONNX, its inputs fit the
 * feature contract, ONNX Runtime loads it, it reproduces the card's golden outputs, and it has been
 * warmed up. Any failure is logged, counted (`model_load_total{result="failure",reason}`), shown in
 * /readyz, and leaves the serving model untouched.
 *
 * Swaps are atomic (one reference assignment on the event loop). Each request holds the model it
 * started with; a replaced model releases its ONNX Runtime session only when its last request ends.
 */
import path from 'node:path';
import type { RawFlight } from '../lib/features/spec.ts';
import { validateManifest } from '../lib/manifest/validate.ts';
import type { ChallengerEntry, ManifestEntry, ProductionManifest } from '../lib/manifest/schema.ts';
import { knownKeys, type KnownKeys } from '../lib/onnx/graph.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import { CardError, parseCard } from '../lib/registry/registry.ts';
import { sha256Hex } from '../lib/util/hash.ts';
import type { Logger } from './logger.ts';
import { MissingFileError, type ModelSource } from './model-source.ts';
import type { FlightScores, LoadScorer, Scorer } from './scorer.ts';
import type { LoadFailureReason, ServiceMetrics } from './service-metrics.ts';
import { errorMessage } from '../lib/util/errors.ts';

export const DEFAULT_MANIFEST_PATH = 'manifests/production.json';
export const GOLDEN_TOLERANCE = 1e-6;

export type { LoadScorer, Scorer } from './scorer.ts';

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

export interface LoadFailure {
  role: Role;
  at: string;
  revision: string | null;
  version: string | null;
  reason: LoadFailureReason;
  message: string;
}

export interface SyncOutcome {
  result: 'loaded' | 'unchanged' | 'failed';
  revision: string | null;
  version: string | null;
  reason?: LoadFailureReason;
  message?: string;
  /** What happened to the manifest's challenger (absent when the manifest could not be read). */
  challenger?: {
    result: 'loaded' | 'unchanged' | 'removed' | 'none' | 'failed';
    version: string | null;
    reason?: LoadFailureReason;
    message?: string;
  };
}

/** Lineage of one version, from its card, for /v1/model. */
export interface Lineage {
  version: string;
  sha256: string;
  path: string;
  trainedAt: string | null;
  codeCommit: string | null;
  codeDirty: boolean | null;
  data: ModelCard['data'] | null;
  runUrl: string | null;
  threshold: number | null;
  metrics: Pick<
    ModelCard['metrics']['evaluation'],
    'auc' | 'recallAtBudget' | 'precisionAtBudget' | 'logLoss' | 'brier' | 'ece' | 'rows'
  > | null;
  trees: number | null;
  algorithm: string | null;
  /** Why the card could not be read, when it could not. */
  cardError?: string;
}

export interface ModelManagerOptions {
  source: ModelSource;
  loadScorer: LoadScorer;
  logger: Logger;
  metrics?: ServiceMetrics;
  manifestPath?: string;
  /** Rows in the warm-up batch (the largest batch the service will run). */
  warmupRows?: number;
  now?: () => number;
}

/** A verified challenger and how the manifest wants it used. */
export interface Challenger {
  model: ServingModel;
  mode: ChallengerEntry['mode'];
  /** Share of traffic in canary mode (0..1). */
  traffic: number;
}

export type Role = 'champion' | 'challenger';

interface ManifestState {
  manifest: ProductionManifest;
  revision: string;
  lineage: {
    champion: Lineage;
    previous: Lineage | null;
    challenger: (Lineage & Pick<ChallengerEntry, 'mode' | 'traffic'>) | null;
  };
}

export class ModelManager {
  readonly #source: ModelSource;
  readonly #loadScorer: LoadScorer;
  readonly #log: Logger;
  readonly #metrics: ServiceMetrics | undefined;
  readonly #manifestPath: string;
  readonly #warmupRows: number;
  readonly #now: () => number;
  #current: ServingModel | null = null;
  #challenger: Challenger | null = null;
  #challengerFailure: LoadFailure | null = null;
  #manifest: ManifestState | null = null;
  #lastRevision: string | null = null;
  #lastFailure: LoadFailure | null = null;
  #lastOutcome: (SyncOutcome & { at: string }) | null = null;
  /** The serving model is what the manifest at the last read revision names. */
  #inSync = false;
  #running: Promise<SyncOutcome> | null = null;
  #queued: Promise<SyncOutcome> | null = null;
  #queuedForce = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  readonly #cards = new Map<string, ModelCard>();

  constructor(options: ModelManagerOptions) {
    this.#source = options.source;
    this.#loadScorer = options.loadScorer;
    this.#log = options.logger;
    this.#metrics = options.metrics;
    this.#manifestPath = options.manifestPath ?? DEFAULT_MANIFEST_PATH;
    this.#warmupRows = options.warmupRows ?? 256;
    this.#now = options.now ?? Date.now;
    this.#metrics?.manifestInSync.set(0);
  }

  get source(): string {
    return this.#source.description;
  }

  /** The serving model, held for one request: call `letGo()` when done. null until one is loaded. */
  acquire(): ServingModel | null {
    const model = this.#current;
    model?.hold();
    return model;
  }

  /** The serving model without holding it (for status pages). */
  get current(): ServingModel | null {
    return this.#current;
  }

  /** The loaded challenger's mode and traffic share, without holding it. */
  challenger(): { mode: Challenger['mode']; traffic: number; version: string } | null {
    const c = this.#challenger;
    return c ? { mode: c.mode, traffic: c.traffic, version: c.model.version } : null;
  }

  /** The challenger, held for one request or shadow batch: call `letGo()` when done. */
  acquireChallenger(): ServingModel | null {
    const model = this.#challenger?.model ?? null;
    model?.hold();
    return model;
  }

  get lastFailure(): LoadFailure | null {
    return this.#lastFailure;
  }

  /**
   * Reads the manifest at the source's current revision and loads its champion if it changed.
   * Runs one at a time; a call during a run is queued once (so a deploy hook after a push is never
   * lost), further calls share that queued run. `force` re-checks a revision already seen.
   */
  sync(trigger: string, force = false): Promise<SyncOutcome> {
    if (this.#closed)
      return Promise.resolve({
        result: 'unchanged',
        revision: this.#lastRevision,
        version: this.#current?.version ?? null,
      });
    if (!this.#running) {
      this.#running = this.#runSync(trigger, force).finally(() => (this.#running = null));
      return this.#running;
    }
    this.#queuedForce ||= force;
    this.#queued ??= this.#running.then(() => {
      this.#queued = null;
      const queuedForce = this.#queuedForce;
      this.#queuedForce = false;
      return this.sync(trigger, queuedForce);
    });
    return this.#queued;
  }

  /** Polls the source every `intervalMs` (timer does not keep the process alive). */
  startPolling(intervalMs: number): void {
    if (intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.sync('poll'), intervalMs);
    this.#timer.unref();
  }

  /** Stops polling, waits for a running load, and releases the model once its requests finish. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => {});
    this.#current?.retire();
    this.#current = null;
    this.#challenger?.model.retire();
    this.#challenger = null;
    this.#metrics?.modelInfo.clear();
    this.#metrics?.challengerInfo.clear();
  }

  async #runSync(trigger: string, force: boolean): Promise<SyncOutcome> {
    const started = this.#now();
    let revision: string | null = null;
    let version: string | null = null;
    let manifest: ProductionManifest | null = null;
    let outcome: SyncOutcome;
    try {
      try {
        await this.#source.refresh();
        revision = await this.#source.revision();
        this.#metrics?.sourceCheckedAt.set(this.#now() / 1000);
      } catch (error) {
        throw new LoadError('source_error', `cannot read ${this.#source.description}: ${errorMessage(error)}`);
      }
      if (!force && revision === this.#lastRevision)
        return this.#finish({ result: 'unchanged', revision, version: this.#current?.version ?? null });
      this.#lastRevision = revision;
      manifest = await this.#readManifest(revision);
      const champion = manifest.champion;
      version = champion.version;
      this.#manifest = { manifest, revision, lineage: await this.#lineageOf(manifest, revision) };
      const serving = this.#current;
      if (serving && serving.sha256 === champion.sha256 && serving.version === champion.version) {
        this.#setInSync(true);
        outcome = { result: 'unchanged', revision, version };
      } else {
        this.#log.info('model_load_started', { trigger, role: 'champion', revision, version, path: champion.path });
        const model = await this.#load(champion, revision, 'champion');
        const previous = this.#current;
        this.#current = model;
        previous?.retire();
        this.#onLoaded(model, previous, Math.round(this.#now() - started), trigger);
        outcome = { result: 'loaded', revision, version };
      }
    } catch (error) {
      const failure = error instanceof LoadError ? error : new LoadError('source_error', errorMessage(error));
      this.#onFailure('champion', failure, revision, version, trigger);
      outcome = { result: 'failed', revision, version, reason: failure.reason, message: failure.message };
    }
    // The challenger follows the manifest on its own: its failures never touch the champion.
    if (manifest && revision) outcome.challenger = await this.#syncChallenger(manifest, revision, trigger);
    return this.#finish(outcome);
  }

  async #syncChallenger(
    manifest: ProductionManifest,
    revision: string,
    trigger: string,
  ): Promise<NonNullable<SyncOutcome['challenger']>> {
    const entry = manifest.challenger;
    const current = this.#challenger;
    const drop = () => {
      this.#challenger = null;
      current?.model.retire();
      this.#metrics?.challengerInfo.clear();
      this.#metrics?.challengerTraffic.set(0);
    };
    if (!entry) {
      if (!current) return { result: 'none', version: null };
      drop();
      this.#log.info('challenger_removed', { trigger, revision, version: current.model.version });
      return { result: 'removed', version: current.model.version };
    }
    const describeMetrics = (c: Challenger) => {
      this.#metrics?.challengerInfo.clear();
      this.#metrics?.challengerInfo.labels(c.model.version, c.model.sha256, c.mode).set(1);
      this.#metrics?.challengerTraffic.set(c.mode === 'canary' ? c.traffic : 0);
    };
    if (current && current.model.sha256 === entry.sha256 && current.model.version === entry.version) {
      current.mode = entry.mode;
      current.traffic = entry.traffic;
      describeMetrics(current);
      return { result: 'unchanged', version: entry.version };
    }
    try {
      this.#log.info('model_load_started', {
        trigger,
        role: 'challenger',
        revision,
        version: entry.version,
        path: entry.path,
        mode: entry.mode,
      });
      const model = await this.#load(entry, revision, 'challenger');
      const next: Challenger = { model, mode: entry.mode, traffic: entry.traffic };
      this.#challenger = next;
      current?.model.retire();
      this.#challengerFailure = null;
      this.#metrics?.modelLoads.labels('success', 'ok', 'challenger').inc();
      describeMetrics(next);
      this.#log.info('model_loaded', {
        trigger,
        role: 'challenger',
        version: model.version,
        sha256: model.sha256,
        revision,
        mode: entry.mode,
        traffic: entry.traffic,
      });
      return { result: 'loaded', version: entry.version };
    } catch (error) {
      // The manifest names a different challenger now; the old one must not keep taking traffic.
      drop();
      const failure = error instanceof LoadError ? error : new LoadError('source_error', errorMessage(error));
      this.#onFailure('challenger', failure, revision, entry.version, trigger);
      return { result: 'failed', version: entry.version, reason: failure.reason, message: failure.message };
    }
  }

  #finish(outcome: SyncOutcome): SyncOutcome {
    this.#lastOutcome = { ...outcome, at: new Date(this.#now()).toISOString() };
    return outcome;
  }

  async #readText(revision: string, file: string, what: string): Promise<string> {
    try {
      return new TextDecoder().decode(await this.#source.read(revision, file));
    } catch (error) {
      if (error instanceof MissingFileError) throw new LoadError('missing_file', `${what} ${error.message}`);
      throw new LoadError(
        'source_error',
        `cannot read ${file} from ${this.#source.description}: ${errorMessage(error)}`,
      );
    }
  }

  async #readManifest(revision: string): Promise<ProductionManifest> {
    const text = await this.#readText(revision, this.#manifestPath, 'the production manifest');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new LoadError('manifest_invalid', `${this.#manifestPath} is not valid JSON: ${errorMessage(error)}`);
    }
    try {
      return validateManifest(value, this.#manifestPath);
    } catch (error) {
      throw new LoadError('manifest_invalid', errorMessage(error));
    }
  }

  /** The card beside an artifact, checked against the manifest entry. */
  async #readCard(entry: ManifestEntry, revision: string): Promise<ModelCard> {
    const cacheKey = `${entry.path}\u0000${entry.sha256}`;
    const cached = this.#cards.get(cacheKey);
    if (cached) return cached;
    const file = cardPath(entry);
    const text = await this.#readText(revision, file, `the model card of ${entry.version}:`);
    let card: ModelCard;
    try {
      card = parseCard(text, file, { version: entry.version, sha256: entry.sha256, by: 'the manifest' });
    } catch (error) {
      const mismatch = error instanceof CardError && error.artifactMismatch;
      throw new LoadError(mismatch ? 'hash_mismatch' : 'card_invalid', errorMessage(error));
    }
    this.#cards.set(cacheKey, card);
    return card;
  }

  async #load(entry: ManifestEntry, revision: string, role: Role): Promise<ServingModel> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#source.read(revision, entry.path);
    } catch (error) {
      if (error instanceof MissingFileError)
        throw new LoadError('missing_file', `${role} ${entry.version}: ${error.message}`);
      throw new LoadError(
        'source_error',
        `${role} ${entry.version}: cannot read ${entry.path}: ${errorMessage(error)}`,
      );
    }
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new LoadError(
        'hash_mismatch',
        `${role} ${entry.version}: ${entry.path} has sha256 ${actual}, the manifest says ${entry.sha256}`,
      );
    }
    const card = await this.#readCard(entry, revision);

    // The loader checks the inputs against the feature contract before creating a session; its
    // message says which check failed (decoding the model here too would double a large allocation).
    let scorer: Scorer;
    try {
      scorer = await this.#loadScorer(bytes);
    } catch (error) {
      const message = errorMessage(error);
      throw new LoadError(
        /feature contract/.test(message) ? 'schema_mismatch' : 'corrupt_onnx',
        `${role} ${entry.version}: ${message}`,
      );
    }
    try {
      await checkGolden(scorer, card, `${role} ${entry.version}`);
      await this.#warmUp(scorer, card, `${role} ${entry.version}`);
    } catch (error) {
      await scorer.release().catch(() => {});
      throw error;
    }
    return new ServingModel(entry, card, knownKeys(bytes), scorer, revision, this.#now(), this.#log);
  }

  /** First calls allocate ORT's buffers; do them before traffic does, at both ends of the batch range. */
  async #warmUp(scorer: Scorer, card: ModelCard, version: string): Promise<void> {
    const inputs = card.golden.map((g) => g.input);
    const batch = Array.from({ length: this.#warmupRows }, (_, i) => inputs[i % inputs.length]);
    let scores: Float32Array;
    try {
      scores = (await scorer.scoreFlights(batch)).scores;
      for (let i = 0; i < 3; i++) {
        await scorer.scoreFlights(batch);
        await scorer.scoreFlights(inputs.slice(0, 1));
      }
    } catch (error) {
      throw new LoadError('warmup_failed', `${version}: warm-up scoring failed: ${errorMessage(error)}`);
    }
    // Large batches may take another path (the inference worker's session): it must agree too.
    for (let i = 0; i < batch.length; i++) {
      const expected = card.golden[i % inputs.length].probability;
      if (!(Math.abs(scores[i] - expected) <= GOLDEN_TOLERANCE)) {
        throw new LoadError(
          'golden_mismatch',
          `${version}: a ${batch.length}-row batch gives ${scores[i]} for golden[${i % inputs.length}], the card says ${expected}`,
        );
      }
    }
  }

  async #lineageOf(manifest: ProductionManifest, revision: string): Promise<ManifestState['lineage']> {
    const of = async (entry: ManifestEntry): Promise<Lineage> => {
      try {
        return lineage(entry, await this.#readCard(entry, revision));
      } catch (error) {
        return { ...lineage(entry, null), cardError: errorMessage(error) };
      }
    };
    const challenger = manifest.challenger;
    return {
      champion: await of(manifest.champion),
      previous: manifest.previous ? await of(manifest.previous) : null,
      challenger: challenger ? { ...(await of(challenger)), mode: challenger.mode, traffic: challenger.traffic } : null,
    };
  }

  #setInSync(inSync: boolean): void {
    this.#inSync = inSync;
    this.#metrics?.manifestInSync.set(inSync ? 1 : 0);
  }

  #onLoaded(model: ServingModel, previous: ServingModel | null, ms: number, trigger: string): void {
    const m = this.#metrics;
    if (m) {
      m.modelLoads.labels('success', 'ok', 'champion').inc();
      m.modelInfo.clear();
      m.modelInfo.labels(model.version, model.sha256).set(1);
      m.modelLoadedAt.set(model.loadedAt / 1000);
      const trained = Date.parse(model.card.createdAt);
      if (!Number.isNaN(trained)) m.modelTrainedAt.set(trained / 1000);
      const promoted = Date.parse(this.#manifest?.manifest.updatedAt ?? '');
      if (!Number.isNaN(promoted)) m.modelPromotedAt.set(promoted / 1000);
    }
    this.#setInSync(true);
    this.#log.info('model_loaded', {
      trigger,
      role: 'champion',
      version: model.version,
      sha256: model.sha256,
      revision: model.revision,
      previousVersion: previous?.version ?? null,
      previousInflight: previous?.inflight ?? 0,
      ms,
    });
  }

  #onFailure(role: Role, error: LoadError, revision: string | null, version: string | null, trigger: string): void {
    const failure: LoadFailure = {
      role,
      at: new Date(this.#now()).toISOString(),
      revision,
      version,
      reason: error.reason,
      message: error.message,
    };
    if (role === 'champion') {
      this.#lastFailure = failure;
      // An unreachable source says nothing about the manifest; anything else means we are behind it.
      if (error.reason !== 'source_error') this.#setInSync(false);
    } else this.#challengerFailure = failure;
    this.#metrics?.modelLoads.labels('failure', error.reason, role).inc();
    this.#log.error('model_load_failed', {
      trigger,
      role,
      revision,
      version,
      reason: error.reason,
      message: error.message,
      servingVersion: this.#current?.version ?? null,
    });
  }

  /** /readyz detail. */
  status() {
    const current = this.#current;
    const champion = this.#manifest?.manifest.champion ?? null;
    return {
      source: this.#source.description,
      manifestPath: this.#manifestPath,
      serving: current
        ? {
            version: current.version,
            sha256: current.sha256,
            revision: current.revision,
            loadedAt: new Date(current.loadedAt).toISOString(),
          }
        : null,
      manifest: this.#manifest
        ? {
            revision: this.#manifest.revision,
            champion: champion?.version ?? null,
            reason: this.#manifest.manifest.reason,
            updatedAt: this.#manifest.manifest.updatedAt,
          }
        : null,
      inSync: this.#inSync,
      challenger: this.#challenger
        ? {
            ...this.challenger(),
            sha256: this.#challenger.model.sha256,
            loadedAt: new Date(this.#challenger.model.loadedAt).toISOString(),
          }
        : null,
      lastSync: this.#lastOutcome,
      lastError: this.#lastFailure,
      lastChallengerError: this.#challengerFailure,
    };
  }

  /** /v1/model body: what serves now and what the manifest names, with lineage from the cards. */
  describe() {
    const current = this.#current;
    const state = this.#manifest;
    return {
      serving: current
        ? {
            ...lineage(current, current.card),
            revision: current.revision,
            loadedAt: new Date(current.loadedAt).toISOString(),
          }
        : null,
      champion: state?.lineage.champion ?? null,
      previous: state?.lineage.previous ?? null,
      challenger: state?.lineage.challenger
        ? {
            ...state.lineage.challenger,
            loaded: this.#challenger?.model.sha256 === state.lineage.challenger.sha256,
            error: this.#challengerFailure?.message ?? null,
          }
        : null,
      manifest: state
        ? {
            path: this.#manifestPath,
            revision: state.revision,
            reason: state.manifest.reason,
            updatedAt: state.manifest.updatedAt,
          }
        : null,
      inSync: this.#inSync,
      source: this.#source.description,
    };
  }
}

export function cardPath(entry: ManifestEntry): string {
  return path.posix.join(path.posix.dirname(entry.path), 'card.json');
}

function lineage(entry: Pick<ManifestEntry, 'version' | 'sha256' | 'path'>, card: ModelCard | null): Lineage {
  const e = card?.metrics?.evaluation;
  return {
    version: entry.version,
    sha256: entry.sha256,
    path: entry.path,
    trainedAt: card?.createdAt ?? null,
    codeCommit: card?.code?.commit ?? null,
    codeDirty: card?.code?.dirty ?? null,
    data: card?.data ?? null,
    runUrl: card?.run?.url ?? null,
    threshold: card?.threshold ?? null,
    metrics: e
      ? {
          auc: e.auc,
          recallAtBudget: e.recallAtBudget,
          precisionAtBudget: e.precisionAtBudget,
          logLoss: e.logLoss,
          brier: e.brier,
          ece: e.ece,
          rows: e.rows,
        }
      : null,
    trees: card?.trees ?? null,
    algorithm: card?.algorithm ?? null,
  };
}

async function checkGolden(scorer: Scorer, card: ModelCard, what: string): Promise<void> {
  let scores: Float32Array;
  try {
    scores = (await scorer.scoreFlights(card.golden.map((g) => g.input))).scores;
  } catch (error) {
    throw new LoadError('golden_mismatch', `${what}: scoring the golden examples failed: ${errorMessage(error)}`);
  }
  let worst = -1;
  let worstDiff = 0;
  let failing = 0;
  for (let i = 0; i < card.golden.length; i++) {
    const diff = Math.abs(scores[i] - card.golden[i].probability);
    // `!(diff <= tol)` also catches NaN.
    if (!(diff <= GOLDEN_TOLERANCE)) {
      failing++;
      if (worst < 0 || diff > worstDiff || Number.isNaN(diff)) {
        worst = i;
        worstDiff = diff;
      }
    }
  }
  if (failing > 0) {
    throw new LoadError(
      'golden_mismatch',
      `${what}: ${failing} of ${card.golden.length} golden outputs differ by more than ${GOLDEN_TOLERANCE.toExponential()}; worst golden[${worst}]: model ${scores[worst]}, card ${card.golden[worst].probability} (|Δ| ${worstDiff})`,
    );
  }
}
