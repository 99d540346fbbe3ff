/**
 * Follows the production manifest in git and keeps exactly one verified model serving: when the
 * manifest's revision changes it loads the champion (and challenger) with model-loader.ts — read by
 * release-reader.ts, verified by model-verifier.ts — and swaps it in.
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
import type { ChallengerEntry, ManifestEntry, ProductionManifest } from '../lib/manifest/schema.ts';
import { errorMessage } from '../lib/util/errors.ts';
import { type Lineage, lineage } from './lineage.ts';
import type { Logger } from './logger.ts';
import { type LoaderOptions, loadModel } from './model-loader.ts';
import type { ModelSource } from './model-source.ts';
import { ReleaseReader } from './release-reader.ts';
import type { LoadScorer } from './scorer.ts';
import { LoadError, type Role, type ServingModel } from './serving-model.ts';
import type { LoadFailureReason, ServiceMetrics } from './service-metrics.ts';

export type { Lineage } from './lineage.ts';
export { cardPath } from './release-reader.ts';
export { GOLDEN_TOLERANCE } from './model-verifier.ts';
export { LoadError, type Role, ServingModel } from './serving-model.ts';

export const DEFAULT_MANIFEST_PATH = 'manifests/production.json';

export type { LoadScorer, Scorer } from './scorer.ts';

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
  readonly #reader: ReleaseReader;
  readonly #loader: LoaderOptions;
  readonly #log: Logger;
  readonly #metrics: ServiceMetrics | undefined;
  readonly #manifestPath: string;
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

  constructor(options: ModelManagerOptions) {
    this.#source = options.source;
    this.#log = options.logger;
    this.#metrics = options.metrics;
    this.#manifestPath = options.manifestPath ?? DEFAULT_MANIFEST_PATH;
    this.#reader = new ReleaseReader(options.source, this.#manifestPath);
    this.#now = options.now ?? Date.now;
    this.#loader = {
      reader: this.#reader,
      loadScorer: options.loadScorer,
      logger: options.logger,
      warmupRows: options.warmupRows ?? 256,
      now: this.#now,
    };
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
      manifest = await this.#reader.manifest(revision);
      const champion = manifest.champion;
      version = champion.version;
      this.#manifest = { manifest, revision, lineage: await this.#lineageOf(manifest, revision) };
      const serving = this.#current;
      if (serving && serving.sha256 === champion.sha256 && serving.version === champion.version) {
        this.#setInSync(true);
        outcome = { result: 'unchanged', revision, version };
      } else {
        this.#log.info('model_load_started', { trigger, role: 'champion', revision, version, path: champion.path });
        const model = await loadModel(this.#loader, champion, revision, 'champion');
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
      const model = await loadModel(this.#loader, entry, revision, 'challenger');
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

  async #lineageOf(manifest: ProductionManifest, revision: string): Promise<ManifestState['lineage']> {
    const of = async (entry: ManifestEntry): Promise<Lineage> => {
      try {
        return lineage(entry, await this.#reader.card(entry, revision));
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
