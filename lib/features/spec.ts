/**
 * The feature contract shared by training, the ONNX graph and the service.
 *
 * A raw flight is turned into model inputs (`numeric` columns and string keys) by
 * `toModelInputs`; the ONNX graph turns those into the feature vector itself (lookups are
 * `ai.onnx.ml.LabelEncoder` nodes built from this spec), so a model artifact is self-contained.
 * Training builds the same vector in TypeScript with `encodeFeatures`.
 *
 * Feature order is: every numeric input column (in `numericInputs` order), then every lookup
 * (in `lookups` order). `featureNames` lists that order.
 */
export interface LookupFeature {
  /** Feature name, e.g. `origin_code`, `route_delay_rate`. */
  name: string;
  /** Which string input the key is read from, one of `stringInputs`. */
  input: string;
  /** Sorted (code-unit order) keys and their float32-representable values. */
  keys: string[];
  values: number[];
  /** Value used for a key that is not in `keys` (unknown airport, unseen route). */
  defaultValue: number;
}

export interface FeatureSpec {
  version: 1;
  /** Names of the float32 columns of the `numeric` input tensor, in order. */
  numericInputs: string[];
  /** Names of the string input tensors, each shaped [N, 1]. */
  stringInputs: string[];
  lookups: LookupFeature[];
  /** numericInputs followed by lookups[].name. */
  featureNames: string[];
}

/** What the ONNX graph takes: `numeric` is row-major [rows, numericInputs.length]. */
export interface ModelInputs {
  rows: number;
  numeric: Float32Array;
  strings: Record<string, string[]>;
}

/** A flight as it arrives at the service or is read from the data set. */
export interface RawFlight {
  /** Scheduled departure, local wall-clock time, ISO 8601 without zone: `2001-05-04T17:35`. */
  departure: string;
  /** Great-circle distance in miles. */
  distance: number;
  /** IATA code of the origin airport, e.g. `ORD`. */
  origin: string;
  /** IATA code of the destination airport. */
  destination: string;
}
