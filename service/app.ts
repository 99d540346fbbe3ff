/**
 * The HTTP API as a Hono app: a small factory that composes the route modules in `routes/` over
 * shared middleware (request id, in-flight count, access log, request metrics) and error handling.
 * It starts nothing: no listener, no timers. Tests drive it with `app.request`; `service/start.ts`
 * serves it with @hono/node-server.
 */
import { newRequestId } from './request-id.ts';
import { Hono, type MiddlewareHandler } from 'hono';
import type { RawFlight } from '../lib/features/spec.ts';
import { MicroBatcher } from './batcher.ts';
import type { Logger } from './logger.ts';
import { MetricsSampler } from './dashboard-data.ts';
import { createMonitoring, type MonitoredCard, type ModelMonitoring } from './monitoring.ts';
import { OnlineQuality } from './online-quality.ts';
import { inThreadStore, type PredictionStore, type StoreEvents } from './prediction-store.ts';
import type { SyncOutcome } from './model-manager.ts';
import type { FlightScores } from './scorer.ts';
import { perVersion, type ServiceMetrics, stageHandles } from './service-metrics.ts';
import { RequestError } from './validation.ts';
import { adminRoutes, RELOAD_PATH } from './routes/admin.ts';
import { DASHBOARD_PATH, dashboardRoutes, type DashboardDeps } from './routes/dashboard.ts';
import { type App, createRouteContext, type Env, type RouteContext, type RouteModule } from './routes/context.ts';
import { FEEDBACK_PATH, feedbackRoutes } from './routes/feedback.ts';
import { METRICS_PATH, metricsRoutes, OPENAPI_PATH, openApiRoutes } from './routes/metrics.ts';
import { PREDICT_PATH, predictRoutes } from './routes/predict.ts';
import { HEALTHZ_PATH, healthRoutes, MODEL_PATH, modelRoutes, READYZ_PATH } from './routes/status.ts';

export type { Ctx, RouteContext, RouteModule } from './routes/context.ts';
export { errorBody } from './routes/context.ts';
export { stickyShare } from './routes/predict.ts';

/** A model held for one request (ServingModel from the model manager fits). */
export interface HeldModel {
  readonly version: string;
  readonly threshold: number;
  readonly knownOrigins: ReadonlySet<string>;
  readonly knownDestinations: ReadonlySet<string>;
  /** Drift references and gate slices, for monitoring. */
  readonly card: MonitoredCard;
  scoreFlights(flights: readonly RawFlight[]): Promise<FlightScores>;
  /** Ends the hold taken by `acquire`. */
  letGo(): void;
}

/** What the app needs from the model manager. */
export interface ModelProvider {
  /** The serving model, held until `letGo()`; null before the first successful load. */
  acquire(): HeldModel | null;
  readonly current: unknown;
  status(): object;
  describe(): object;
  sync(trigger: string, force?: boolean): Promise<SyncOutcome>;
  /** The loaded challenger (shadow or canary) and its traffic share, if any. */
  challenger?(): { mode: 'shadow' | 'canary'; traffic: number; version: string } | null;
  /** The challenger, held until `letGo()`. */
  acquireChallenger?(): HeldModel | null;
}

/** Shared with the server: readiness off while draining, and how many requests are in flight. */
export interface ServiceState {
  draining: boolean;
  inflight: number;
  startedAt: number;
}

export interface AppConfig {
  maxBatchSize: number;
  maxBodyBytes: number;
  maxInflight: number;
  inferenceTimeoutMs: number;
  batching: { maxBatchRows: number; maxWaitMs: number; concurrency?: number };
  /** How long a shadow-scoring batch waits to fill (ms; default 0: flushed as soon as it is queued). */
  shadowMaxWaitMs?: number;
  /** Percent of requests the challenger scores in shadow mode (sticky by flight; default 100). */
  shadowSamplePercent?: number;
  /** Predictions kept for feedback (rows, hours) and the per-process online-quality window. */
  feedback: { capacity: number; maxAgeHours?: number; window: number };
  adminToken: string | null;
  logRequests: boolean;
  /** Drift counting and prediction logging on the predict path (MONITORING=off to measure their cost). */
  monitoring: boolean;
}

export interface AppDeps {
  config: AppConfig;
  models: ModelProvider;
  metrics: ServiceMetrics;
  logger: Logger;
  state?: ServiceState;
  batcher?: MicroBatcher;
  /** Where predictions wait for feedback; default SQLite in memory, in this thread (tests). */
  store?: PredictionStore;
  monitoring?: ModelMonitoring;
  quality?: OnlineQuality;
  /** Samples the metrics for GET /dashboard; the server starts one with a timer, tests sample on request. */
  sampler?: MetricsSampler;
  /** The manifest's git history for the dashboard's timeline. */
  history?: DashboardDeps['history'];
  /** Refreshes process-level gauges before /metrics renders (the server passes the real one). */
  collectProcessMetrics?: (metrics: ServiceMetrics) => void;
  /** More route groups, mounted after the service's own (the bench mounts its echo control this way). */
  routes?: RouteModule[];
  newRequestId?: () => string;
  /** Monotonic milliseconds. */
  now?: () => number;
}

export const ROUTES = {
  predict: PREDICT_PATH,
  feedback: FEEDBACK_PATH,
  model: MODEL_PATH,
  healthz: HEALTHZ_PATH,
  readyz: READYZ_PATH,
  metrics: METRICS_PATH,
  openapi: OPENAPI_PATH,
  reload: RELOAD_PATH,
  dashboard: DASHBOARD_PATH,
} as const;

export function createApp(deps: AppDeps): Hono<Env> {
  const { config, metrics } = deps;
  const now = deps.now ?? (() => performance.now());
  const state = deps.state ?? { draining: false, inflight: 0, startedAt: Date.now() };
  const store =
    deps.store ?? inThreadStore(':memory:', storeLimits(config), { events: storeEvents(metrics, deps.logger) });
  const monitoring = deps.monitoring ?? createMonitoring(metrics, { enabled: config.monitoring });
  const quality = deps.quality ?? new OnlineQuality(config.feedback.window);
  const ctx = createRouteContext({ config, models: deps.models, metrics, logger: deps.logger, state, now });
  const batcher = deps.batcher ?? statsBatcher(ctx);

  const app = new Hono<Env>();
  // Filled once every module is mounted; requests only start after that.
  const knownPaths = new Set<string>();
  app.use('*', requestMiddleware(ctx, knownPaths, deps.newRequestId ?? newRequestId));
  const modules: RouteModule[] = [
    predictRoutes({ batcher, store, monitoring, enabled: config.monitoring }),
    feedbackRoutes({ store, monitoring, quality }),
    modelRoutes,
    healthRoutes,
    metricsRoutes({ quality, collectProcessMetrics: deps.collectProcessMetrics }),
    openApiRoutes,
    adminRoutes,
    dashboardRoutes({
      sampler: deps.sampler ?? new MetricsSampler(metrics, { sampleMs: 10_000, windowMs: 3_600_000 }),
      history: deps.history,
    }),
    ...(deps.routes ?? []),
  ];
  for (const mount of modules) mount(app, ctx);
  for (const route of app.routes) if (route.path !== '*') knownPaths.add(route.path);
  methodNotAllowed(app, ctx);
  app.notFound((c) => ctx.fail(c, 404, `no route ${c.req.method} ${c.req.path.slice(0, 200)}; see ${ROUTES.openapi}`));
  app.onError((error, c) => {
    if (error instanceof RequestError) return ctx.fail(c, error.status, error.issues);
    deps.logger.error('request_failed', { requestId: c.get('requestId'), path: c.req.path, error });
    return ctx.fail(c, 500, `internal error (request ${c.get('requestId')}); the service logged it`);
  });
  return app;
}

/** The prediction store's bounds from the configuration. */
export function storeLimits(config: Pick<AppConfig, 'feedback'>): { maxRows: number; maxAgeMs: number } {
  return { maxRows: config.feedback.capacity, maxAgeMs: (config.feedback.maxAgeHours ?? 48) * 3_600_000 };
}

/** The prediction store's outcomes as metrics (and failures as log lines). */
export function storeEvents(metrics: ServiceMetrics, logger: Logger): StoreEvents {
  const evictedAge = metrics.storeEvicted.labels('age');
  const evictedCapacity = metrics.storeEvicted.labels('capacity');
  return {
    onWritten(outcome) {
      metrics.storeRows.set(outcome.rows);
      metrics.storeWriteSeconds.inc(outcome.seconds);
      if (outcome.evictedAge > 0) evictedAge.inc(outcome.evictedAge);
      if (outcome.evictedCapacity > 0) evictedCapacity.inc(outcome.evictedCapacity);
    },
    onFailure(operation, error) {
      metrics.storeFailures.labels(operation).inc();
      logger.error('prediction_store_failed', { operation, error });
    },
  };
}

/** The serving batcher, reporting each ONNX Runtime call's stages and rows. */
function statsBatcher({ config, metrics, now }: RouteContext): MicroBatcher {
  const stages = stageHandles(metrics.stageDuration);
  const inference = perVersion((v) => metrics.modelInference.labels(v, 'served'));
  return new MicroBatcher({
    ...config.batching,
    now,
    onBatch: (b) => {
      stages.features.observe(b.featuresSeconds);
      stages.inference.observe(b.inferenceSeconds);
      metrics.batchRows.observe(b.rows);
      inference(b.version).observe(b.featuresSeconds + b.inferenceSeconds);
    },
  });
}

/** Request id, in-flight count, access log and request metrics for every route. */
function requestMiddleware(
  { config, metrics, logger, state, now }: RouteContext,
  known: Set<string>,
  newId: () => string,
): MiddlewareHandler<Env> {
  // Per-series handles, so a request costs one map lookup for both families.
  const requestSeries = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();
  const seriesFor = (route: string, method: string, status: number) => {
    const key = `${route} ${method} ${status}`;
    let series = requestSeries.get(key);
    if (!series) {
      const labels = [route, method, String(status)];
      series = { count: metrics.requests.labels(...labels), duration: metrics.requestDuration.labels(...labels) };
      requestSeries.set(key, series);
    }
    return series;
  };
  return async (c, next) => {
    const started = now();
    const requestId = newId();
    c.set('requestId', requestId);
    state.inflight++;
    try {
      await next();
    } finally {
      state.inflight--;
    }
    const status = c.res.status;
    const path = c.req.path;
    const route = known.has(path) ? path : 'other';
    const seconds = (now() - started) / 1000;
    const series = seriesFor(route, c.req.method, status);
    series.count.inc();
    series.duration.observe(seconds);
    if (config.logRequests) {
      const ms = Math.round(seconds * 1e6) / 1000;
      if (route === 'other')
        logger.info('request', { requestId, method: c.req.method, route, path: path.slice(0, 200), status, ms });
      else logger.info('request', { requestId, method: c.req.method, route, status, ms });
    }
  };
}

/** Known paths with the wrong method: 405 and the methods that work. */
function methodNotAllowed(app: App, { fail }: RouteContext): void {
  const allowed = new Map<string, string>();
  for (const route of app.routes) {
    if (route.path === '*' || route.method === 'ALL') continue;
    allowed.set(route.path, [allowed.get(route.path), route.method].filter(Boolean).join(', '));
  }
  for (const [path, methods] of allowed) {
    app.all(path, (c) => fail(c, 405, `${c.req.method} is not allowed on ${path}; use ${methods}`, { allow: methods }));
  }
}
