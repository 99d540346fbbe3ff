/**
 * What GET /dashboard shows, from this process's own metrics: a sampler copies the counters every
 * `sampleMs` into a ring (one window, default an hour), and `dashboardData` turns the ring into
 * request rate and latency over time, quality by version and slice, and drift per feature over the
 * window — with the same lib/metrics functions the monitor uses on Prometheus's sums. One replica's
 * view: a fleet's is the Grafana dashboard (monitoring/grafana/) over Prometheus.
 */
import { budgetFromBuckets, histogramQuantile, aucFromBuckets } from '../lib/metrics/bucketed.ts';
import { psiFromCounts } from '../lib/metrics/drift.ts';
import type { ManifestCommit } from '../lib/release/manifest-history.ts';
import type { ServiceMetrics } from './service-metrics.ts';

interface Sample {
  t: number;
  requests: number;
  errors: number;
  /** http_request_duration_seconds buckets of POST /v1/predict, summed over status codes. */
  latency: Float64Array;
  rows: Map<string, number>;
  /** `${version}\0${slice}` → cells [tn, fn, fp, tp] then negative buckets then positive buckets. */
  quality: Map<string, Float64Array>;
  /** `${version}\0${feature}` → bin counts. */
  drift: Map<string, Float64Array>;
}

export interface DashboardData {
  generatedAt: string;
  sampleSeconds: number;
  windowSeconds: number;
  /** Unix seconds per point, and per point: predict requests/s, 5xx/s, p50 and p99 latency (ms). */
  traffic: { t: number[]; rate: number[]; errors: number[]; p50Ms: (number | null)[]; p99Ms: (number | null)[] };
  quality: {
    version: string;
    slice: string;
    outcomes: number;
    delayedRate: number | null;
    /** At the served threshold (the confusion cells). */
    recall: number | null;
    precision: number | null;
    /** At a 20% budget of the window's traffic, and AUC (score buckets). */
    recallAtBudget: number | null;
    auc: number | null;
  }[];
  drift: {
    version: string;
    feature: string;
    rows: number;
    psi: number | null;
    shares: number[];
    reference: number[];
  }[];
  timeline: { date: string; commit: string; kind: ManifestCommit['kind']; champion: string | null; subject: string }[];
  timelineError: string | null;
  serving: string | null;
}

const PREDICT = '/v1/predict';
const orNull = (x: number) => (Number.isFinite(x) ? x : null);

export class MetricsSampler {
  readonly sampleMs: number;
  readonly capacity: number;
  readonly #metrics: ServiceMetrics;
  readonly #samples: Sample[] = [];
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(metrics: ServiceMetrics, options: { sampleMs: number; windowMs: number; now?: () => number }) {
    this.#metrics = metrics;
    this.sampleMs = options.sampleMs;
    this.capacity = Math.max(2, Math.round(options.windowMs / options.sampleMs) + 1);
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  get samples(): readonly Sample[] {
    return this.#samples;
  }

  /** Copies the counters now (the timer calls it; so does the data route, for an up-to-date end). */
  sample(): Sample {
    const m = this.#metrics;
    let requests = 0;
    let errors = 0;
    for (const { values, child } of m.requests.series()) {
      if (values[0] !== PREDICT) continue;
      requests += child.value;
      if (values[2].startsWith('5')) errors += child.value;
    }
    const latency = new Float64Array(m.requestDuration.buckets.length + 1);
    for (const { values, child } of m.requestDuration.series()) {
      if (values[0] !== PREDICT) continue;
      for (let i = 0; i < latency.length; i++) latency[i] += child.counts[i];
    }
    const rows = new Map<string, number>();
    for (const { values, child } of m.predictions.series()) rows.set(values[0], child.value);
    const buckets = m.feedbackScore.buckets.length + 1;
    const quality = new Map<string, Float64Array>();
    const cellsOf = (version: string, slice: string) => {
      const key = `${version}\u0000${slice}`;
      let v = quality.get(key);
      if (!v) quality.set(key, (v = new Float64Array(4 + 2 * buckets)));
      return v;
    };
    for (const { values, child } of m.feedbackOutcomes.series()) {
      const [version, slice, flagged, delayed] = values;
      cellsOf(version, slice)[(flagged === 'true' ? 2 : 0) + (delayed === 'true' ? 1 : 0)] = child.value;
    }
    for (const { values, child } of m.feedbackScore.series()) {
      const [version, slice, delayed] = values;
      cellsOf(version, slice).set(child.counts, 4 + (delayed === 'true' ? buckets : 0));
    }
    const drift = new Map<string, Float64Array>();
    for (const { values, child } of m.driftBins.series()) {
      const [version, feature, bin] = values;
      const key = `${version}\u0000${feature}`;
      let counts = drift.get(key);
      if (!counts) drift.set(key, (counts = new Float64Array(0)));
      const b = Number(bin);
      if (b >= counts.length) {
        const grown = new Float64Array(b + 1);
        grown.set(counts);
        drift.set(key, (counts = grown));
      }
      counts[b] = child.value;
    }
    const sample: Sample = { t: this.#now(), requests, errors, latency, rows, quality, drift };
    this.#samples.push(sample);
    if (this.#samples.length > this.capacity) this.#samples.shift();
    return sample;
  }
}

function diff(end: Float64Array, start: Float64Array | undefined): Float64Array {
  const out = Float64Array.from(end);
  if (start) for (let i = 0; i < Math.min(out.length, start.length); i++) out[i] -= start[i];
  return out;
}

/** The dashboard's figures over the sampler's window (its oldest sample to now). */
export function dashboardData(
  sampler: MetricsSampler,
  metrics: ServiceMetrics,
  extra: { timeline: ManifestCommit[]; timelineError: string | null; serving: string | null },
): DashboardData {
  const samples = [...sampler.samples];
  const now = sampler.sample();
  if (samples[samples.length - 1] !== now) samples.push(now);
  const first = samples[0];
  const upper = metrics.requestDuration.buckets;
  const traffic: DashboardData['traffic'] = { t: [], rate: [], errors: [], p50Ms: [], p99Ms: [] };
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const seconds = (b.t - a.t) / 1000;
    if (!(seconds > 0)) continue;
    const latency = diff(b.latency, a.latency);
    traffic.t.push(Math.round(b.t / 1000));
    traffic.rate.push((b.requests - a.requests) / seconds);
    traffic.errors.push((b.errors - a.errors) / seconds);
    traffic.p50Ms.push(orNull(histogramQuantile(upper, latency, 0.5) * 1000));
    traffic.p99Ms.push(orNull(histogramQuantile(upper, latency, 0.99) * 1000));
  }
  const buckets = metrics.feedbackScore.buckets.length + 1;
  const quality: DashboardData['quality'] = [];
  for (const [key, end] of now.quality) {
    const [version, slice] = key.split('\u0000');
    const w = diff(end, first.quality.get(key));
    const [tn, fn, fp, tp] = w;
    const outcomes = tn + fn + fp + tp;
    if (outcomes === 0) continue;
    const scores = { negatives: w.subarray(4, 4 + buckets), positives: w.subarray(4 + buckets) };
    quality.push({
      version,
      slice,
      outcomes,
      delayedRate: (fn + tp) / outcomes,
      recall: fn + tp > 0 ? tp / (fn + tp) : null,
      precision: fp + tp > 0 ? tp / (fp + tp) : null,
      recallAtBudget: orNull(budgetFromBuckets(scores, 0.2).recall),
      auc: orNull(aucFromBuckets(scores)),
    });
  }
  quality.sort((a, b) =>
    a.version === b.version ? a.slice.localeCompare(b.slice) : a.version.localeCompare(b.version),
  );
  const drift: DashboardData['drift'] = [];
  const reference = new Map<string, number[]>();
  for (const { values, child } of metrics.driftReference.series()) {
    const key = `${values[0]}\u0000${values[1]}`;
    const shares = reference.get(key) ?? [];
    shares[Number(values[2])] = child.value;
    reference.set(key, shares);
  }
  for (const [key, end] of now.drift) {
    const [version, feature] = key.split('\u0000');
    const counts = diff(end, first.drift.get(key));
    const rows = counts.reduce((a, b) => a + b, 0);
    const ref = reference.get(key) ?? [];
    if (rows === 0 || ref.length !== counts.length) continue;
    drift.push({
      version,
      feature,
      rows,
      psi: orNull(psiFromCounts(ref, counts)),
      shares: Array.from(counts, (c) => c / rows),
      reference: ref,
    });
  }
  return {
    generatedAt: new Date(now.t).toISOString(),
    sampleSeconds: sampler.sampleMs / 1000,
    windowSeconds: (now.t - first.t) / 1000,
    traffic,
    quality,
    drift,
    timeline: extra.timeline.map((c) => ({
      date: c.date,
      commit: c.commit,
      kind: c.kind,
      champion: c.manifest?.champion.version ?? null,
      subject: c.subject,
    })),
    timelineError: extra.timelineError,
    serving: extra.serving,
  };
}
