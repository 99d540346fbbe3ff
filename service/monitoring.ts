/**
 * Model monitoring that adds up across replicas: drift counters on the predict path (rows per bin
 * of the card's reference histograms) and quality counters on the feedback path (confusion-matrix
 * cells at the served threshold and score histograms split by the real outcome, per slice). See
 * the Metrics section of service/README.md for the PromQL that turns them into PSI and recall.
 *
 * Drift is counted for the reference features the service can compute from a request without the
 * model: the numeric inputs (hour, weekday, day_of_month, distance — with the feature module's own
 * `writeNumericInputs`, so the values are the model's), categorical raw fields (origin) and the
 * score. The lookup features (delay rates, flights per day, airport codes) live only inside the
 * ONNX graph; they are functions of origin, destination and hour, whose drift is counted.
 */
import { NUMERIC_INPUTS, writeNumericInputs } from '../lib/features/flight-features.ts';
import type { RawFlight } from '../lib/features/spec.ts';
import { firstAtLeast, OTHER_CATEGORY } from '../lib/metrics/drift.ts';
import { flightSliceNames } from '../lib/metrics/slices.ts';
import type { ReferenceDistribution } from '../lib/registry/card.ts';
import type { CounterChild, HistogramChild } from './prometheus.ts';
import type { StoredPrediction } from './prediction-store.ts';
import type { ServiceMetrics } from './service-metrics.ts';
import { DELAY_THRESHOLD_MINUTES } from '../lib/data/flights.ts';

/** What monitoring reads from a model card. */
export interface MonitoredCard {
  reference: readonly ReferenceDistribution[];
  /** The gate's slices; `origin=<IATA>` entries name the hubs sliced separately. */
  metrics: { slices: readonly { slice: string }[] };
}

/** A served model as monitoring sees it. */
export interface MonitoredModel {
  readonly version: string;
  readonly card: MonitoredCard;
}

type BinOf = (row: number, flight: RawFlight, numeric: Float32Array, score: number) => number;

interface FeatureBins {
  feature: string;
  counters: CounterChild[];
  binOf: BinOf;
}

/** Per-version handles, built once per version. */
class VersionMonitor {
  readonly version: string;
  readonly hubs: ReadonlySet<string>;
  readonly features: FeatureBins[];
  /** Scratch for one row's numeric inputs. */
  readonly numeric = new Float32Array(NUMERIC_INPUTS.length);

  constructor(model: MonitoredModel, metrics: ServiceMetrics) {
    this.version = model.version;
    this.hubs = new Set(
      model.card.metrics.slices.filter((s) => s.slice.startsWith('origin=')).map((s) => s.slice.slice(7)),
    );
    this.features = [];
    for (const reference of model.card.reference) {
      const binOf = binFunction(reference);
      if (!binOf) continue;
      const bins = reference.shares.length;
      const counters: CounterChild[] = [];
      for (let b = 0; b < bins; b++) {
        const bin = String(b);
        // Every bin exists from the start at 0, so an empty bin counts in PSI.
        counters.push(metrics.driftBins.labels(model.version, reference.feature, bin));
        metrics.driftReference.labels(model.version, reference.feature, bin).set(reference.shares[b]);
      }
      this.features.push({ feature: reference.feature, counters, binOf });
    }
  }
}

/** How a row finds its bin of this reference, or null when the service cannot compute the feature. */
function binFunction(reference: ReferenceDistribution): BinOf | null {
  const numericIndex = (NUMERIC_INPUTS as readonly string[]).indexOf(reference.feature);
  const edges = reference.edges;
  if (edges && edges.length > 0) {
    const last = edges.length - 1;
    const upper = Float64Array.from(edges);
    if (numericIndex >= 0) return (_r, _f, numeric) => Math.min(firstAtLeast(upper, numeric[numericIndex]), last);
    if (reference.feature === 'score') return (_r, _f, _n, score) => Math.min(firstAtLeast(upper, score), last);
    return null;
  }
  const categories = reference.categories;
  if (categories && (reference.feature === 'origin' || reference.feature === 'destination')) {
    const index = new Map(categories.map((c, i) => [c, i]));
    const other = categories.indexOf(OTHER_CATEGORY);
    const field = reference.feature;
    return (_r, f) => index.get(f[field]) ?? other;
  }
  return null;
}

export interface ModelMonitoring {
  /** Hot path: counts the drift bins of scored rows. */
  observeScored(
    model: MonitoredModel,
    flights: readonly RawFlight[],
    minutes: Float64Array,
    scores: Float32Array,
  ): void;
  /** Feedback path: counts an outcome joined to its prediction. */
  observeOutcome(prediction: StoredPrediction, delayMinutes: number): void;
  /** The drift features counted for a version (for the dashboard and tests). */
  driftFeatures(version: string): string[];
}

/** Pass `enabled: false` (MONITORING=off) to measure what monitoring costs the hot path. */
export function createMonitoring(metrics: ServiceMetrics, options: { enabled?: boolean } = {}): ModelMonitoring {
  const enabled = options.enabled ?? true;
  const versions = new Map<string, VersionMonitor>();
  let latest: VersionMonitor | null = null;
  const monitorOf = (model: MonitoredModel): VersionMonitor => {
    let monitor = versions.get(model.version);
    if (!monitor) {
      monitor = new VersionMonitor(model, metrics);
      versions.set(model.version, monitor);
    }
    latest = monitor;
    return monitor;
  };
  const outcomeSeries = new Map<string, { cells: CounterChild[]; scores: HistogramChild[] }>();
  const seriesFor = (version: string, slice: string) => {
    const key = `${version}\u0000${slice}`;
    let series = outcomeSeries.get(key);
    if (!series) {
      // Index: flagged * 2 + delayed.
      series = {
        cells: [
          metrics.feedbackOutcomes.labels(version, slice, 'false', 'false'),
          metrics.feedbackOutcomes.labels(version, slice, 'false', 'true'),
          metrics.feedbackOutcomes.labels(version, slice, 'true', 'false'),
          metrics.feedbackOutcomes.labels(version, slice, 'true', 'true'),
        ],
        scores: [
          metrics.feedbackScore.labels(version, slice, 'false'),
          metrics.feedbackScore.labels(version, slice, 'true'),
        ],
      };
      outcomeSeries.set(key, series);
    }
    return series;
  };
  return {
    observeScored(model, flights, minutes, scores) {
      if (!enabled) return;
      const monitor = versions.get(model.version) ?? monitorOf(model);
      const { features, numeric } = monitor;
      for (let r = 0; r < flights.length; r++) {
        const flight = flights[r];
        writeNumericInputs(minutes[r], flight.distance, numeric, 0);
        for (let k = 0; k < features.length; k++)
          features[k].counters[features[k].binOf(r, flight, numeric, scores[r])].value++;
      }
    },
    observeOutcome(p, delayMinutes) {
      const delayed = delayMinutes > DELAY_THRESHOLD_MINUTES ? 1 : 0;
      const flagged = p.probability >= p.threshold ? 1 : 0;
      // A version this process never served (its prediction came from another replica sharing the
      // store) is sliced by the hubs of the latest version seen here: hubs barely move between versions.
      const hubs = versions.get(p.version)?.hubs ?? latest?.hubs ?? new Set<string>();
      const hour = (((p.minutes % 1440) + 1440) % 1440) / 60;
      for (const slice of ['all', ...flightSliceNames(p.origin, hour, p.distance, hubs)]) {
        const series = seriesFor(p.version, slice);
        series.cells[flagged * 2 + delayed].inc();
        series.scores[delayed].observe(p.probability);
      }
    },
    driftFeatures: (version) => versions.get(version)?.features.map((f) => f.feature) ?? [],
  };
}
