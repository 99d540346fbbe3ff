/**
 * Builds feature matrices from the flights table for a time split, and learns the feature spec
 * (category codes, smoothed delay rates, traffic volumes) from the training rows only.
 *
 * Rates for training rows are out-of-fold (each row's own fold is left out), so a row never sees
 * its own label; validation and evaluation rows use the spec's tables, exactly like serving.
 * Keys are integers here for speed; `spec` holds the same tables keyed by strings for the graph.
 */
import { DELAY_THRESHOLD_MINUTES, type FlightTable, type RowRange } from '../data/flights.ts';
import {
  NUMERIC_INPUTS,
  STRING_INPUTS,
  airportHourKey,
  hourOfDay,
  routeKey,
  writeNumericInputs,
} from '../features/flight-features.ts';
import type { FeatureSpec, LookupFeature } from '../features/spec.ts';
import type { Matrix } from '../ml/matrix.ts';

export interface SplitWindows {
  train: RowRange;
  validation: RowRange;
  evaluation: RowRange[];
}

export interface DatasetOptions {
  /** Folds for out-of-fold rates on training rows. */
  folds?: number;
  /** Pseudo-count of the smoothed rates: (positives + m·prior) / (flights + m). */
  smoothing?: number;
  seed?: number;
}

export interface Split {
  spec: FeatureSpec;
  train: Matrix;
  validation: Matrix;
  evaluation: Matrix[];
}

export const DEFAULT_DATASET_OPTIONS: Required<DatasetOptions> = { folds: 5, smoothing: 30, seed: 7 };

/** How one family of integer keys is derived from a row; `name` is the string input it reads. */
interface KeyFamily {
  input: (typeof STRING_INPUTS)[number];
  size: number;
  key(origin: number, destination: number, hour: number): number;
  label(key: number): string;
}

function keyFamilies(airports: string[]): KeyFamily[] {
  const a = airports.length;
  return [
    { input: 'origin', size: a, key: (o) => o, label: (k) => airports[k] },
    { input: 'destination', size: a, key: (_o, d) => d, label: (k) => airports[k] },
    {
      input: 'route',
      size: a * a,
      key: (o, d) => o * a + d,
      label: (k) => routeKey(airports[Math.floor(k / a)], airports[k % a]),
    },
    {
      input: 'origin_hour',
      size: a * 24,
      key: (o, _d, h) => o * 24 + h,
      label: (k) => airportHourKey(airports[Math.floor(k / 24)], k % 24),
    },
    {
      input: 'destination_hour',
      size: a * 24,
      key: (_o, d, h) => d * 24 + h,
      label: (k) => airportHourKey(airports[Math.floor(k / 24)], k % 24),
    },
  ];
}

/** Deterministic fold of a table row (rows are sorted by time, so a hash spreads folds evenly). */
export function foldOf(row: number, folds: number, seed: number): number {
  return (Math.imul(row ^ seed, 2654435761) >>> 0) % folds;
}

interface LookupColumn {
  /** Feature value per integer key; NaN where the key was not seen in training (use default). */
  values: Float32Array;
  defaultValue: number;
  /** For out-of-fold rates: the value per key with one fold left out; [fold][key]. */
  outOfFold?: Float32Array[];
}

interface FittedLookup {
  feature: LookupFeature;
  family: KeyFamily;
  column: LookupColumn;
}

export function buildSplit(table: FlightTable, windows: SplitWindows, options: DatasetOptions = {}): Split {
  const { folds, smoothing, seed } = { ...DEFAULT_DATASET_OPTIONS, ...options };
  const families = keyFamilies(table.airports);
  const { train } = windows;
  const trainRows = train.end - train.start;
  if (trainRows <= 0) throw new Error('training window has no flights');

  // Per key and fold: flights and delayed flights in the training window.
  const counts = families.map((f) => ({ n: new Int32Array(f.size * folds), pos: new Int32Array(f.size * folds) }));
  let positives = 0;
  const trainDays = (table.departure[train.end - 1] - table.departure[train.start]) / 1440 + 1 / 1440;
  for (let row = train.start; row < train.end; row++) {
    const y = table.delay[row] > DELAY_THRESHOLD_MINUTES ? 1 : 0;
    positives += y;
    const fold = foldOf(row, folds, seed);
    const o = table.origin[row];
    const d = table.destination[row];
    const h = hourOfDay(table.departure[row]);
    for (let f = 0; f < families.length; f++) {
      const slot = families[f].key(o, d, h) * folds + fold;
      counts[f].n[slot]++;
      counts[f].pos[slot] += y;
    }
  }
  const prior = positives / trainRows;
  const rate = (pos: number, n: number) => Math.fround((pos + smoothing * prior) / (n + smoothing));

  const lookups: FittedLookup[] = [];
  const byFamily = (input: string) => families.findIndex((f) => f.input === input);
  // Category codes: rank by training frequency (ties by key), unknown = -1.
  for (const input of ['origin', 'destination'] as const) {
    const f = byFamily(input);
    const totals = Array.from({ length: families[f].size }, (_, k) => sumFolds(counts[f].n, k, folds));
    const seen = totals.map((n, k) => ({ n, k })).filter((e) => e.n > 0);
    seen.sort((x, y) => y.n - x.n || x.k - y.k);
    const values = new Float32Array(families[f].size).fill(Number.NaN);
    seen.forEach((e, rank) => (values[e.k] = rank));
    lookups.push(fitted(`${input}_code`, families[f], { values, defaultValue: -1 }));
  }
  // Traffic volume: training flights per day, from the schedule (no labels, so no out-of-fold).
  for (const input of ['origin', 'route'] as const) {
    const f = byFamily(input);
    const values = new Float32Array(families[f].size).fill(Number.NaN);
    for (let k = 0; k < families[f].size; k++) {
      const n = sumFolds(counts[f].n, k, folds);
      if (n > 0) values[k] = Math.fround(n / trainDays);
    }
    lookups.push(fitted(`${input}_flights_per_day`, families[f], { values, defaultValue: 0 }));
  }
  // Smoothed delay rates, out-of-fold for training rows.
  for (const family of families) {
    const f = byFamily(family.input);
    const values = new Float32Array(family.size).fill(Number.NaN);
    const outOfFold = Array.from({ length: folds }, () => new Float32Array(family.size));
    for (let k = 0; k < family.size; k++) {
      const n = sumFolds(counts[f].n, k, folds);
      const pos = sumFolds(counts[f].pos, k, folds);
      if (n > 0) values[k] = rate(pos, n);
      for (let fold = 0; fold < folds; fold++) {
        const slot = k * folds + fold;
        outOfFold[fold][k] = rate(pos - counts[f].pos[slot], n - counts[f].n[slot]);
      }
    }
    lookups.push(fitted(`${family.input}_delay_rate`, family, { values, defaultValue: Math.fround(prior), outOfFold }));
  }

  const spec: FeatureSpec = {
    version: 1,
    numericInputs: [...NUMERIC_INPUTS],
    stringInputs: [...STRING_INPUTS],
    lookups: lookups.map((l) => l.feature),
    featureNames: [...NUMERIC_INPUTS, ...lookups.map((l) => l.feature.name)],
  };
  return {
    spec,
    train: encodeRange(table, train, spec, lookups, { folds, seed }),
    validation: encodeRange(table, windows.validation, spec, lookups, null),
    evaluation: windows.evaluation.map((range) => encodeRange(table, range, spec, lookups, null)),
  };
}

function sumFolds(values: Int32Array, key: number, folds: number): number {
  let sum = 0;
  for (let fold = 0; fold < folds; fold++) sum += values[key * folds + fold];
  return sum;
}

function fitted(name: string, family: KeyFamily, column: LookupColumn): FittedLookup {
  const keys: string[] = [];
  const values: number[] = [];
  const entries: { label: string; value: number }[] = [];
  for (let k = 0; k < family.size; k++) {
    if (!Number.isNaN(column.values[k])) entries.push({ label: family.label(k), value: column.values[k] });
  }
  // Code-unit order, so the spec (and the ONNX bytes built from it) never depend on locale.
  entries.sort((x, y) => (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
  for (const e of entries) {
    keys.push(e.label);
    values.push(e.value);
  }
  return { feature: { name, input: family.input, keys, values, defaultValue: column.defaultValue }, family, column };
}

/** Encodes table rows; `outOfFold` set means these are training rows that get out-of-fold rates. */
function encodeRange(
  table: FlightTable,
  range: RowRange,
  spec: FeatureSpec,
  lookups: FittedLookup[],
  outOfFold: { folds: number; seed: number } | null,
): Matrix {
  const rows = Math.max(0, range.end - range.start);
  const cols = spec.featureNames.length;
  const numericCount = spec.numericInputs.length;
  const values = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = range.start + r;
    const base = r * cols;
    writeNumericInputs(table.departure[row], table.distance[row], values, base);
    const o = table.origin[row];
    const d = table.destination[row];
    const h = hourOfDay(table.departure[row]);
    const fold = outOfFold ? foldOf(row, outOfFold.folds, outOfFold.seed) : -1;
    for (let l = 0; l < lookups.length; l++) {
      const { family, column } = lookups[l];
      const key = family.key(o, d, h);
      let value: number;
      if (column.outOfFold && fold >= 0) value = column.outOfFold[fold][key];
      else {
        value = column.values[key];
        if (Number.isNaN(value)) value = column.defaultValue;
      }
      values[base + numericCount + l] = value;
    }
    labels[r] = table.delay[row] > DELAY_THRESHOLD_MINUTES ? 1 : 0;
  }
  return { rows, cols, values, labels, featureNames: spec.featureNames };
}
