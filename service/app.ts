/**
 * The HTTP API as a Hono app. `createApp` wires handlers to what is passed in (models, metrics,
 * logger, stores) and starts nothing: no listener, no timers. Tests drive it with `app.request`;
 * `service/server.ts` serves it with @hono/node-server.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { DELAY_THRESHOLD_MINUTES } from '../lib/data/flights.ts';
import type { RawFlight } from '../lib/features/spec.ts';
import { MicroBatcher, type Submission } from './batcher.ts';
import { OnlineQuality, PredictionLog } from './feedback.ts';
import { header, isJsonContentType, type NodeBindings, parseJson, readBody } from './http-io.ts';
import type { Logger } from './logger.ts';
import type { SyncOutcome } from './model-manager.ts';
import type { FlightScores } from './scorer.ts';
import { openApiDocument } from './openapi.ts';
import { EXPOSITION_CONTENT_TYPE } from './prometheus.ts';
import { type ServiceMetrics, stageHandles } from './service-metrics.ts';
import { formatIssue, type Issue, parseFeedbackBody, parsePredictBody, RequestError } from './validation.ts';

/** A model held for one request (ServingModel from the model manager fits). */
export interface HeldModel {
  readonly version: string;
  readonly threshold: number;
  readonly knownOrigins: ReadonlySet<string>;
  readonly knownDestinations: ReadonlySet<string>;
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
  feedback: { capacity: number; window: number };
  adminToken: string | null;
  logRequests: boolean;
  benchRoutes: boolean;
}

export interface AppDeps {
  config: AppConfig;
  models: ModelProvider;
  metrics: ServiceMetrics;
  logger: Logger;
  state?: ServiceState;
  batcher?: MicroBatcher;
  predictions?: PredictionLog;
  quality?: OnlineQuality;
  /** Refreshes process-level gauges before /metrics renders (the server passes the real one). */
  collectProcessMetrics?: (metrics: ServiceMetrics) => void;
  newRequestId?: () => string;
  /** Monotonic milliseconds. */
  now?: () => number;
}

export const ROUTES = {
  predict: '/v1/predict',
  feedback: '/v1/feedback',
  model: '/v1/model',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
  openapi: '/openapi.json',
  reload: '/admin/reload',
  benchEcho: '/bench/echo',
} as const;

const KNOWN_PATHS = new Set<string>(Object.values(ROUTES));

type Env = { Bindings: NodeBindings; Variables: { requestId: string } };
type Ctx = Context<Env>;

const JSON_TYPE = 'application/json; charset=utf-8';

export function errorBody(status: number, requestId: string, issues: Issue[] | string) {
  const list = typeof issues === 'string' ? [] : issues;
  const message = typeof issues === 'string' ? issues : formatIssue(issues[0] ?? { field: '', problem: 'bad request' });
  return {
    error: {
      status,
      message,
      ...(list.length > 0
        ? { issues: list.map((i) => ({ field: i.field, problem: i.problem, message: formatIssue(i) })) }
        : {}),
    },
    requestId,
  };
}

class TimeoutError extends Error {}

export function createApp(deps: AppDeps): Hono<Env> {
  const { config, models, metrics, logger } = deps;
  const now = deps.now ?? (() => performance.now());
  const newRequestId = deps.newRequestId ?? randomUUID;
  const state = deps.state ?? { draining: false, inflight: 0, startedAt: Date.now() };
  const predictions = deps.predictions ?? new PredictionLog(config.feedback.capacity);
  const quality = deps.quality ?? new OnlineQuality(config.feedback.window);
  const stages = stageHandles(metrics.stageDuration);
  const batcher =
    deps.batcher ??
    new MicroBatcher({
      ...config.batching,
      now,
      onBatch: (b) => {
        stages.features.observe(b.featuresSeconds);
        stages.inference.observe(b.inferenceSeconds);
        metrics.batchRows.observe(b.rows);
      },
    });
  const adminDigest = config.adminToken ? createHash('sha256').update(config.adminToken).digest() : null;

  // Per-series handles, so a request costs one map lookup per metric family.
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
  const versionSeries = new Map<
    string,
    { predictions: { inc(n: number): void }; flagged: { inc(n: number): void }; score: { observe(v: number): void } }
  >();
  const seriesForVersion = (version: string) => {
    let series = versionSeries.get(version);
    if (!series) {
      series = {
        predictions: metrics.predictions.labels(version),
        flagged: metrics.flagged.labels(version),
        score: metrics.score.labels(version),
      };
      versionSeries.set(version, series);
    }
    return series;
  };
  const unknownOrigin = metrics.unknownAirports.labels('origin');
  const unknownDestination = metrics.unknownAirports.labels('destination');
  const rejectedOverload = metrics.rejected.labels('overload');
  const rejectedTimeout = metrics.rejected.labels('timeout');
  const rejectedNotReady = metrics.rejected.labels('not_ready');
  let scoring = 0;

  /**
   * Every response is built here as a Response with a plain header record: that keeps
   * @hono/node-server on its fast path (Hono's c.header/c.json build a WHATWG Headers object, which
   * costs more than a prediction's own work).
   */
  const reply = (c: Ctx, status: number, text: string, extra?: Record<string, string>): Response => {
    const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'x-request-id': c.get('requestId') };
    if (extra) for (const key in extra) headers[key] = extra[key];
    // While draining, tell keep-alive clients to reconnect (to another replica).
    if (state.draining) headers.connection = 'close';
    return new Response(text, { status, headers });
  };
  const replyJson = (c: Ctx, value: unknown, status = 200) => reply(c, status, JSON.stringify(value));
  const fail = (c: Ctx, status: number, issues: Issue[] | string, headers?: Record<string, string>) =>
    reply(c, status, JSON.stringify(errorBody(status, c.get('requestId'), issues)), headers);

  const app = new Hono<Env>();

  // Request id, in-flight count, access log and request metrics for every route.
  app.use('*', async (c, next) => {
    const started = now();
    const requestId = newRequestId();
    c.set('requestId', requestId);
    state.inflight++;
    try {
      await next();
    } finally {
      state.inflight--;
    }
    const status = c.res.status;
    const path = c.req.path;
    const route = KNOWN_PATHS.has(path) ? path : 'other';
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
  });

  /** Content type and size checks, then the parsed body, for the POST routes that read JSON. */
  const readJson = async (c: Ctx): Promise<unknown> => {
    const type = header(c, 'content-type');
    if (!isJsonContentType(type)) {
      throw new RequestError(415, [
        {
          field: 'content-type',
          problem: `must be application/json, got ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 60))}`,
        },
      ]);
    }
    return parseJson(await readBody(c, config.maxBodyBytes));
  };

  const overloaded = (c: Ctx) => {
    rejectedOverload.inc();
    return fail(c, 429, `the service is at its limit of ${config.maxInflight} concurrent predictions; retry shortly`, {
      'retry-after': '1',
    });
  };

  app.post(ROUTES.predict, async (c) => {
    if (scoring >= config.maxInflight) return overloaded(c);
    scoring++;
    try {
      return await predict(c);
    } finally {
      scoring--;
    }
  });

  const predict = async (c: Ctx): Promise<Response> => {
    const body = await readJson(c);
    const t0 = now();
    const request = parsePredictBody(body, config.maxBatchSize);
    const challenger = models.challenger?.() ?? null;
    let model: HeldModel | null = null;
    // Canary: a sticky share of flights (by the first flight of the request) goes to the challenger.
    if (challenger?.mode === 'canary' && stickyShare(request.flights[0]) < challenger.traffic)
      model = models.acquireChallenger?.() ?? null;
    model ??= models.acquire();
    if (!model) {
      rejectedNotReady.inc();
      return fail(c, 503, 'no model is loaded yet; see /readyz', { 'retry-after': '1' });
    }
    let submission: Submission;
    const t1 = now();
    try {
      countUnknownAirports(request.flights, model);
      stages.validate.observe((t1 - t0) / 1000);
      submission = batcher.submit(model, request.flights);
    } catch (error) {
      model.letGo();
      throw error;
    }
    // From here the batch owns the hold: it ends when the batch settles (a timed-out request's
    // batch may still be running on this session), or at once if the job is cancelled unrun.
    const letGo = () => model.letGo();
    submission.result.then(letGo, letGo);
    let scores: Float32Array;
    try {
      scores = await withTimeout(submission.result, config.inferenceTimeoutMs);
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      if (submission.cancel()) letGo();
      rejectedTimeout.inc();
      return fail(c, 503, `inference did not finish within ${config.inferenceTimeoutMs} ms; retry shortly`, {
        'retry-after': '1',
      });
    }
    const t2 = now();
    stages.queue.observe((submission.startedAt() - t1) / 1000);
    const requestId = c.get('requestId');
    const threshold = model.threshold;
    const version = model.version;
    recordScores(version, threshold, scores);
    predictions.record(requestId, version, threshold, request.flights, scores, request.minutes);
    if (challenger?.mode === 'shadow') shadow(request.flights, scores, threshold);
    // Built by hand: for 256 rows this is several times cheaper than JSON.stringify of row objects.
    let text = `{"requestId":${JSON.stringify(requestId)},"model":${JSON.stringify(version)},"threshold":${threshold},`;
    if (request.batch) {
      text += '"predictions":[';
      for (let i = 0; i < scores.length; i++) {
        const p = scores[i];
        text += `${i === 0 ? '' : ','}{"probability":${jsonNumber(p)},"delayed":${p >= threshold}}`;
      }
      text += ']}';
    } else {
      text += `"probability":${jsonNumber(scores[0])},"delayed":${scores[0] >= threshold}}`;
    }
    const response = reply(c, 200, text, { 'x-model-version': version });
    stages.serialize.observe((now() - t2) / 1000);
    return response;
  };

  // Shadow scoring has its own queue, so it never joins (and slows) a served batch.
  const shadowBatcher = new MicroBatcher({ ...config.batching, now });
  const shadowSeries = new Map<
    string,
    {
      predictions: { inc(n: number): void };
      disagreements: { inc(n: number): void };
      difference: { observe(v: number): void };
    }
  >();
  const shadow = (flights: readonly RawFlight[], served: Float32Array, servedThreshold: number) => {
    if (shadowBatcher.queuedRows + flights.length > config.batching.maxBatchRows * 4) {
      metrics.shadowSkipped.inc(flights.length);
      return;
    }
    const model = models.acquireChallenger?.();
    if (!model) return;
    shadowBatcher
      .submit(model, flights)
      .result.then(
        (scores) => {
          let series = shadowSeries.get(model.version);
          if (!series) {
            const v = model.version;
            series = {
              predictions: metrics.shadowPredictions.labels(v),
              disagreements: metrics.shadowDisagreements.labels(v),
              difference: metrics.shadowDifference.labels(v),
            };
            shadowSeries.set(v, series);
          }
          let disagreements = 0;
          for (let i = 0; i < scores.length; i++) {
            series.difference.observe(Math.abs(scores[i] - served[i]));
            if (scores[i] >= model.threshold !== served[i] >= servedThreshold) disagreements++;
          }
          series.predictions.inc(scores.length);
          if (disagreements > 0) series.disagreements.inc(disagreements);
        },
        (error: unknown) => logger.warn('shadow_failed', { version: model.version, error }),
      )
      .finally(() => model.letGo());
  };

  const countUnknownAirports = (flights: readonly RawFlight[], model: HeldModel) => {
    for (const f of flights) {
      if (!model.knownOrigins.has(f.origin)) unknownOrigin.inc();
      if (!model.knownDestinations.has(f.destination)) unknownDestination.inc();
    }
  };

  const recordScores = (version: string, threshold: number, scores: Float32Array) => {
    const series = seriesForVersion(version);
    let flagged = 0;
    for (let i = 0; i < scores.length; i++) {
      series.score.observe(scores[i]);
      if (scores[i] >= threshold) flagged++;
    }
    series.predictions.inc(scores.length);
    if (flagged > 0) series.flagged.inc(flagged);
  };

  if (config.benchRoutes) {
    // Framework ceiling for the bench: same middleware, guards, body reading and JSON parsing as a
    // single-row prediction, and a fixed response of the same size; no validation or model.
    const fixed = JSON.stringify({
      requestId: randomUUID(),
      model: '2001-05-01-00000000',
      probability: 0.15301425755023956,
      delayed: false,
      threshold: 0.2232142835855484,
    });
    app.post(ROUTES.benchEcho, async (c) => {
      if (scoring >= config.maxInflight) return overloaded(c);
      scoring++;
      try {
        const body = await readJson(c);
        if (typeof body !== 'object' || body === null) return fail(c, 400, 'body must be an object');
        return reply(c, 200, fixed, { 'x-model-version': '2001-05-01-00000000' });
      } finally {
        scoring--;
      }
    });
  }

  app.post(ROUTES.feedback, async (c) => {
    const request = parseFeedbackBody(await readJson(c));
    const { target } = request;
    const found =
      target.kind === 'request'
        ? predictions.claimByRequest(target.requestId, target.index)
        : predictions.claimByFlight(target.departure, target.origin, target.destination);
    if (!found.found) {
      metrics.feedback.labels('unmatched').inc();
      const what =
        target.kind === 'request'
          ? `requestId ${JSON.stringify(target.requestId)}${target.index > 0 ? ` row ${target.index}` : ''}`
          : `flight ${target.origin}→${target.destination} at ${target.departure}`;
      return fail(c, 404, [
        {
          field: target.kind === 'request' ? 'requestId' : 'flight',
          problem: `does not match a recent prediction: ${what} is not among the last ${predictions.capacity} predicted rows`,
        },
      ]);
    }
    const p = found.prediction;
    if (found.duplicate) {
      metrics.feedback.labels('duplicate').inc();
      return fail(c, 409, [
        {
          field: target.kind === 'request' ? 'requestId' : 'flight',
          problem: `already has an outcome: ${p.requestId === null ? 'the latest prediction for this flight' : `request ${p.requestId} row ${p.index}`} was reported before`,
        },
      ]);
    }
    metrics.feedback.labels('matched').inc();
    quality.add(p.probability, request.delayMinutes, p.flagged);
    return replyJson(c, {
      requestId: p.requestId,
      index: p.index,
      model: p.version,
      probability: p.probability,
      flagged: p.flagged,
      delayed: request.delayMinutes > DELAY_THRESHOLD_MINUTES,
      quality: quality.snapshot(),
    });
  });

  app.get(ROUTES.model, (c) => replyJson(c, models.describe()));

  app.get(ROUTES.healthz, (c) =>
    replyJson(c, { status: 'ok', uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000) }),
  );

  app.get(ROUTES.readyz, (c) => {
    const loaded = models.current !== null;
    const ready = loaded && !state.draining;
    const detail = { ready, draining: state.draining, ...models.status() };
    return replyJson(c, detail, ready ? 200 : 503);
  });

  app.get(ROUTES.metrics, (c) => {
    metrics.inflight.set(state.inflight);
    metrics.ready.set(models.current !== null && !state.draining ? 1 : 0);
    const q = quality.snapshot();
    metrics.onlineRows.set(q.rows);
    const optional = [
      [metrics.onlineDelayedRate, q.delayedRate],
      [metrics.onlineFlagRate, q.flagRate],
      [metrics.onlineAuc, q.auc],
      [metrics.onlineRecall, q.recallAtBudget],
      [metrics.onlinePrecision, q.precisionAtBudget],
      [metrics.onlineRecallAtThreshold, q.recallAtThreshold],
    ] as const;
    // Undefined figures (no feedback yet, one class only) are absent series, not zeros.
    for (const [gauge, value] of optional) {
      if (value === null) gauge.clear();
      else gauge.set(value);
    }
    deps.collectProcessMetrics?.(metrics);
    return reply(c, 200, metrics.registry.render(), { 'content-type': EXPOSITION_CONTENT_TYPE });
  });

  const documentText = JSON.stringify(openApiDocument(config));
  app.get(ROUTES.openapi, (c) => reply(c, 200, documentText));

  app.post(ROUTES.reload, async (c) => {
    if (!adminDigest) return fail(c, 404, 'admin endpoints are disabled: the service was started without ADMIN_TOKEN');
    const auth = header(c, 'authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token || !timingSafeEqual(createHash('sha256').update(token).digest(), adminDigest)) {
      logger.warn('admin_auth_failed', { requestId: c.get('requestId'), route: ROUTES.reload });
      return fail(c, 401, [{ field: 'authorization', problem: 'must be "Bearer <ADMIN_TOKEN>"' }], {
        'www-authenticate': 'Bearer realm="taxiway-admin"',
      });
    }
    const outcome = await models.sync('admin', true);
    const status = outcome.result !== 'failed' ? 200 : outcome.reason === 'source_error' ? 502 : 422;
    return replyJson(c, { ...outcome, serving: (models.status() as { serving: unknown }).serving }, status);
  });

  // Known paths with the wrong method: 405 and the methods that work.
  const allowed = new Map<string, string>();
  for (const route of app.routes) {
    if (route.path === '*' || route.method === 'ALL') continue;
    allowed.set(route.path, [allowed.get(route.path), route.method].filter(Boolean).join(', '));
  }
  for (const [path, methods] of allowed) {
    app.all(path, (c) => fail(c, 405, `${c.req.method} is not allowed on ${path}; use ${methods}`, { allow: methods }));
  }

  app.notFound((c) => fail(c, 404, `no route ${c.req.method} ${c.req.path.slice(0, 200)}; see ${ROUTES.openapi}`));

  app.onError((error, c) => {
    if (error instanceof RequestError) return fail(c, error.status, error.issues);
    logger.error('request_failed', { requestId: c.get('requestId'), path: c.req.path, error });
    return fail(c, 500, `internal error (request ${c.get('requestId')}); the service logged it`);
  });

  return app;
}

/** A stable number in [0, 1) per flight (FNV-1a of its key), so canary routing is sticky. */
export function stickyShare(flight: RawFlight): number {
  const key = `${flight.departure}|${flight.origin}|${flight.destination}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

/** A number as JSON (non-finite numbers have no JSON form; they become null). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
