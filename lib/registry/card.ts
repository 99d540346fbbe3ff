import type { FeatureSpec, RawFlight } from '../features/spec.ts';

/** Figures for one slice (or the whole evaluation set). */
export interface MetricSet {
  rows: number;
  positives: number;
  auc: number;
  logLoss: number;
  brier: number;
  ece: number;
  /** Recall of delayed flights when the riskiest 20% are flagged. */
  recallAtBudget: number;
  precisionAtBudget: number;
}

export interface SliceMetrics {
  /** e.g. `origin=ORD`, `hour=06-11`, `distance=0-500`. */
  slice: string;
  metrics: MetricSet;
}

/** A histogram of one feature on the training window, for drift (PSI) checks. */
export interface ReferenceDistribution {
  feature: string;
  /** Upper edges of the bins (last bin is open-ended); for categorical features, the keys. */
  edges?: number[];
  categories?: string[];
  /** Share of rows in each bin (sums to 1). */
  shares: number[];
}

export interface GoldenExample {
  input: RawFlight;
  /** Probability the ONNX artifact gives for `input`. */
  probability: number;
}

export interface DataWindow {
  /** ISO timestamps, half-open [start, end). */
  start: string;
  end: string;
  rows: number;
  positives: number;
}

export interface ModelCard {
  schemaVersion: 1;
  name: 'flight-delay';
  version: string;
  createdAt: string;
  artifact: { file: 'model.onnx'; sha256: string; bytes: number };
  code: { commit: string; dirty: boolean };
  data: {
    file: string;
    sha256: string;
    asOf: string;
    label: string;
    train: DataWindow;
    validation: DataWindow;
    evaluation: DataWindow;
  };
  algorithm: string;
  params: Record<string, unknown>;
  /** Trees kept after early stopping. */
  trees: number;
  seed: number;
  /** Probability at or above which a flight is flagged: the 80th percentile on validation. */
  threshold: number;
  metrics: { evaluation: MetricSet; validation: MetricSet; slices: SliceMetrics[] };
  baseline?: { algorithm: string; evaluation: MetricSet };
  features: FeatureSpec;
  reference: ReferenceDistribution[];
  golden: GoldenExample[];
  timings: Record<string, number>;
  run?: { id: string; url: string; attempt?: string; workflow?: string; trigger?: string };
}
