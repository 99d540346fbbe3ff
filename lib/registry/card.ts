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

/**
 * A lookup feature as a card describes it: its shape, not its table. The keys and values live
 * only in `model.onnx` (LabelEncoder nodes; `lib/onnx/graph.ts` reads them back).
 */
export interface LookupSummary {
  name: string;
  /** The string input the key is read from. */
  input: string;
  /** Keys learned from the training window. */
  keyCount: number;
  /** Value for a key the model has not seen (unknown airport, unseen route). */
  defaultValue: number;
}

/** The feature schema of a v2 card: FeatureSpec without the lookup tables. */
export interface CardFeatures extends Omit<FeatureSpec, 'lookups'> {
  lookups: LookupSummary[];
}

/** The card schema training writes. */
export const CARD_SCHEMA_VERSION = 2;
/**
 * Largest card (bytes of card.json) from schema version 2 on. A card goes into git with every
 * version; without the lookup tables a card is about 30 KB, with them (v1) about 780 KB.
 */
export const MAX_CARD_BYTES = 50 * 1024;

interface CardFields {
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
  reference: ReferenceDistribution[];
  golden: GoldenExample[];
  timings: Record<string, number>;
  run?: { id: string; url: string; attempt?: string; workflow?: string; trigger?: string };
}

/** Schema 1: the card held the whole feature spec, lookup tables included (about 460 KB of 780). */
export interface ModelCardV1 extends CardFields {
  schemaVersion: 1;
  features: FeatureSpec;
}

export interface ModelCardV2 extends CardFields {
  schemaVersion: 2;
  features: CardFeatures;
}

/** Any card in the registry; old versions keep their v1 cards (artifacts and cards are immutable). */
export type ModelCard = ModelCardV1 | ModelCardV2;

/** The card form of a feature spec: every table replaced by its size. */
export function cardFeatures(spec: FeatureSpec): CardFeatures {
  return {
    ...spec,
    lookups: spec.lookups.map((l) => ({
      name: l.name,
      input: l.input,
      keyCount: l.keys.length,
      defaultValue: l.defaultValue,
    })),
  };
}
