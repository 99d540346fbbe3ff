/**
 * Replays flights through a running service: predictions at a fixed rate (open loop, one flight
 * or a batch per request), then each flight's real outcome as feedback a fixed delay after its
 * prediction was due, joined by the prediction's request id. Both streams share one schedule and
 * one connection pool (`runSchedule`), so the service sees them interleaved as in production.
 */
import { DELAY_THRESHOLD_MINUTES } from '../data/flights.ts';
import { type ParsedFamily, parseExposition, sampleValue, sumOf } from '../monitoring/exposition.ts';
import { httpPost, quantileOfSorted, runSchedule, sortedFinite } from '../load/paced-load.ts';
import type { ReplayFlight } from './traffic.ts';

export interface ReplayOptions {
  /** The service, e.g. `http://127.0.0.1:8080`. */
  url: string;
  flights: readonly ReplayFlight[];
  /** Prediction requests per second. */
  rate: number;
  /** Flights per prediction request: 1 sends `{departure, …}`, more send `{flights: [...]}`. */
  batchSize?: number;
  /** Feedback for each flight this long after its prediction was due; null sends none. */
  feedbackDelayMs?: number | null;
  connections?: number;
  /** Called every `progressEveryMs` (default 250) and once at the end. */
  onProgress?: (progress: ReplayProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** Waits for the last responses this long (default 10 s). */
  drainMs?: number;
  fetch?: typeof fetch;
}

export interface ReplayProgress {
  elapsedMs: number;
  predictionRequests: number;
  predictionsAnswered: number;
  feedbackTotal: number;
  feedbackAnswered: number;
  /** Requests without a 2xx answer (feedback 404/409 included). */
  failed: number;
}

export interface LatencySummary {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What the service itself reports on /metrics after the replay (absent figures are null). */
export interface ServiceView {
  predictionsTotal: number;
  feedbackMatched: number;
  onlineWindowRows: number | null;
  onlineAuc: number | null;
  onlineRecallAtBudget: number | null;
  onlinePrecisionAtBudget: number | null;
  onlineDelayedRate: number | null;
  onlineFlagRate: number | null;
}

export interface ReplaySummary {
  rate: number;
  batchSize: number;
  feedbackDelayMs: number | null;
  elapsedMs: number;
  predictions: {
    requests: number;
    rows: number;
    ok: number;
    /** Status code → requests, for answers other than 200. */
    statuses: Record<string, number>;
    /** Requests that got no answer (connection failures, timeouts). */
    errors: number;
    achievedRate: number;
    latency: LatencySummary;
    /** Rows the service flagged as likely delayed / rows answered. */
    flaggedShare: number | null;
    /** Rows answered by each model version. */
    versions: Record<string, number>;
  };
  feedback: {
    sent: number;
    /** Rows whose prediction failed, so there is no request id to report against. (Feedback due before its
     * prediction was answered is sent when the answer arrives.) */
    skipped: number;
    matched: number;
    statuses: Record<string, number>;
    errors: number;
    latency: LatencySummary;
  };
  /** Delayed share of the flights sent (the real outcomes). */
  delayedShare: number;
  loaderLagP99Ms: number;
  service: ServiceView | null;
}

interface PredictResponse {
  requestId?: string;
  model?: string;
  delayed?: boolean;
  predictions?: { delayed: boolean }[];
}

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const target = new URL(options.url);
  if (target.protocol !== 'http:') throw new Error(`replay speaks plain HTTP/1.1 only, got ${options.url}`);
  const host = target.hostname;
  const port = Number(target.port || 80);
  const { flights, rate } = options;
  if (!(rate > 0)) throw new Error(`rate must be a positive number of requests per second, got ${rate}`);
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a whole number ≥ 1, got ${batchSize}`);
  const feedbackDelayMs = options.feedbackDelayMs === undefined ? 0 : options.feedbackDelayMs;
  const interval = 1000 / rate;
  const predictionCount = Math.ceil(flights.length / batchSize);
  const feedbackCount = feedbackDelayMs === null ? 0 : flights.length;

  // One schedule: predictions (kind 0) at j·interval, feedback (kind 1) for row r at its batch's due
  // time + delay, spread over the batch's interval. Both streams are sorted; merge them.
  const total = predictionCount + feedbackCount;
  const kind = new Uint8Array(total);
  const item = new Int32Array(total);
  const due = new Float64Array(total);
  const feedbackDue = (r: number) =>
    Math.floor(r / batchSize) * interval + (feedbackDelayMs ?? 0) + ((r % batchSize) * interval) / batchSize;
  for (let k = 0, j = 0, r = 0; k < total; k++) {
    if (r >= feedbackCount || (j < predictionCount && j * interval <= feedbackDue(r))) {
      kind[k] = 0;
      item[k] = j;
      due[k] = j * interval;
      j++;
    } else {
      kind[k] = 1;
      item[k] = r;
      due[k] = feedbackDue(r);
      r++;
    }
  }

  /** Per prediction request: its request id once answered, null when it failed, undefined before. */
  const requestIds: (string | null | undefined)[] = new Array(predictionCount).fill(undefined);
  /** Feedback due before its prediction was answered waits here (sent as soon as the answer arrives). */
  const waiters = new Map<number, ((requestId: string | null) => void)[]>();
  const settlePrediction = (j: number, requestId: string | null) => {
    requestIds[j] = requestId;
    for (const wake of waiters.get(j) ?? []) wake(requestId);
    waiters.delete(j);
  };
  const versions: Record<string, number> = {};
  let rowsAnswered = 0;
  let flagged = 0;
  let predictionsAnswered = 0;
  let feedbackAnswered = 0;
  let feedbackSkipped = 0;
  let failed = 0;
  const predictPath = '/v1/predict';
  const feedbackPath = '/v1/feedback';

  const predictionBody = (j: number) => {
    const rows = flights.slice(j * batchSize, (j + 1) * batchSize);
    const wire = rows.map(({ departure, distance, origin, destination }) => ({
      departure,
      distance,
      origin,
      destination,
    }));
    return JSON.stringify(batchSize === 1 ? wire[0] : { flights: wire });
  };

  const started = performance.now();
  const progress = (): ReplayProgress => ({
    elapsedMs: performance.now() - started,
    predictionRequests: predictionCount,
    predictionsAnswered,
    feedbackTotal: feedbackCount,
    feedbackAnswered: feedbackAnswered + feedbackSkipped,
    failed,
  });
  const timer = options.onProgress
    ? setInterval(() => options.onProgress!(progress()), options.progressEveryMs ?? 250)
    : null;

  let run;
  try {
    run = await runSchedule({
      host,
      port,
      connections: options.connections ?? 16,
      count: total,
      dueMs: (k) => due[k],
      drainMs: options.drainMs ?? 10_000,
      signal: options.signal,
      request: (k) => {
        if (kind[k] === 0) return httpPost(host, port, predictPath, predictionBody(item[k]));
        const r = item[k];
        const j = Math.floor(r / batchSize);
        const feedback = (requestId: string | null) => {
          if (requestId === null) {
            feedbackSkipped++;
            return null;
          }
          const index = r % batchSize;
          const body = { requestId, ...(batchSize > 1 ? { index } : {}), delayMinutes: flights[r].delayMinutes };
          return httpPost(host, port, feedbackPath, JSON.stringify(body));
        };
        const known = requestIds[j];
        if (known !== undefined) return feedback(known);
        return new Promise<Buffer | null>((resolve) => {
          const list = waiters.get(j) ?? [];
          list.push((requestId) => resolve(feedback(requestId)));
          waiters.set(j, list);
        });
      },
      onResponse: (k, status, body) => {
        if (status < 200 || status >= 300) failed++;
        if (kind[k] === 1) {
          feedbackAnswered++;
          return;
        }
        predictionsAnswered++;
        if (status !== 200) {
          settlePrediction(item[k], null);
          return;
        }
        const answer = JSON.parse(body.toString('utf8')) as PredictResponse;
        settlePrediction(item[k], answer.requestId ?? null);
        const delayedFlags = answer.predictions?.map((p) => p.delayed) ?? [answer.delayed === true];
        rowsAnswered += delayedFlags.length;
        for (const d of delayedFlags) if (d) flagged++;
        if (answer.model) versions[answer.model] = (versions[answer.model] ?? 0) + delayedFlags.length;
      },
      onFailure: (k) => {
        failed++;
        if (kind[k] === 1) feedbackAnswered++;
        else {
          predictionsAnswered++;
          settlePrediction(item[k], null);
        }
      },
    });
  } finally {
    if (timer) clearInterval(timer);
  }
  options.onProgress?.(progress());

  const isPrediction = (k: number) => kind[k] === 0;
  const isFeedback = (k: number) => kind[k] === 1;
  const statusCounts = (keep: (k: number) => boolean, ok: number) => {
    const counts: Record<string, number> = {};
    let errors = 0;
    let good = 0;
    for (let k = 0; k < total; k++) {
      if (!keep(k) || (run.status[k] === 0 && Number.isNaN(run.lagMs[k]))) continue;
      const s = run.status[k];
      if (s === 0) errors++;
      else if (s === ok) good++;
      else counts[s] = (counts[s] ?? 0) + 1;
    }
    return { counts, errors, good };
  };
  const latency = (keep: (k: number) => boolean): LatencySummary => {
    const sorted = sortedFinite(run.latencyMs, keep);
    return {
      p50Ms: quantileOfSorted(sorted, 0.5),
      p90Ms: quantileOfSorted(sorted, 0.9),
      p99Ms: quantileOfSorted(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    };
  };
  const p = statusCounts(isPrediction, 200);
  const f = statusCounts(isFeedback, 200);
  let delayed = 0;
  for (const flight of flights) if (flight.delayMinutes > DELAY_THRESHOLD_MINUTES) delayed++;
  let lastPredictionAnswer = 0;
  for (let k = 0; k < total; k++)
    if (isPrediction(k) && Number.isFinite(run.latencyMs[k]))
      lastPredictionAnswer = Math.max(lastPredictionAnswer, due[k] + run.lagMs[k] + run.latencyMs[k]);

  return {
    rate,
    batchSize,
    feedbackDelayMs,
    elapsedMs: run.elapsedMs,
    predictions: {
      requests: predictionCount,
      rows: flights.length,
      ok: p.good,
      statuses: p.counts,
      errors: p.errors,
      achievedRate: lastPredictionAnswer > 0 ? (p.good + sum(p.counts)) / (lastPredictionAnswer / 1000) : 0,
      latency: latency(isPrediction),
      flaggedShare: rowsAnswered > 0 ? flagged / rowsAnswered : null,
      versions,
    },
    feedback: {
      sent: feedbackCount - feedbackSkipped,
      skipped: feedbackSkipped,
      matched: f.good,
      statuses: f.counts,
      errors: f.errors,
      latency: latency(isFeedback),
    },
    delayedShare: flights.length > 0 ? delayed / flights.length : 0,
    loaderLagP99Ms: quantileOfSorted(sortedFinite(run.lagMs, isPrediction), 0.99),
    service: await serviceView(options.url, options.fetch ?? fetch),
  };
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** The service's own figures from /metrics; null when it cannot be scraped. */
export async function serviceView(url: string, fetchImpl: typeof fetch = fetch): Promise<ServiceView | null> {
  let families: ParsedFamily[];
  try {
    const res = await fetchImpl(new URL('/metrics', url));
    if (!res.ok) return null;
    families = parseExposition(await res.text());
  } catch {
    return null;
  }
  return {
    predictionsTotal: sumOf(families, 'predictions_total'),
    feedbackMatched: sumOf(families, 'feedback_total', { result: 'matched' }),
    onlineWindowRows: sampleValue(families, 'online_quality_window_rows'),
    onlineAuc: sampleValue(families, 'online_auc'),
    onlineRecallAtBudget: sampleValue(families, 'online_recall_at_budget'),
    onlinePrecisionAtBudget: sampleValue(families, 'online_precision_at_budget'),
    onlineDelayedRate: sampleValue(families, 'online_delayed_rate'),
    onlineFlagRate: sampleValue(families, 'online_flag_rate'),
  };
}
