/**
 * The one feature module. Serving and training both start from `toModelInputs` (raw fields →
 * numeric columns + string keys); the learned lookups in `FeatureSpec` turn those into the
 * feature vector, in the ONNX graph when serving and in `encodeFeatures` when training or testing.
 */
import type { FeatureSpec, LookupFeature, ModelInputs, RawFlight } from './spec.ts';

export const NUMERIC_INPUTS = ['hour', 'weekday', 'day_of_month', 'distance'] as const;
export const STRING_INPUTS = ['origin', 'destination', 'route', 'origin_hour', 'destination_hour'] as const;

const DEPARTURE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/** Minutes since the epoch of a local wall-clock ISO stamp (`2001-05-04T17:35`); NaN when malformed. */
export function departureMinutes(departure: string): number {
  const match = DEPARTURE_PATTERN.exec(departure);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi] = match;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return Number.NaN;
  const ms = Date.UTC(Number(y), month - 1, day, hour, minute);
  // Reject dates that roll over (e.g. 2001-02-30).
  if (new Date(ms).getUTCDate() !== day) return Number.NaN;
  return ms / 60_000;
}

/** Hour of day (0..23) of a departure given in minutes since the epoch. */
export function hourOfDay(minutes: number): number {
  return Math.floor((((minutes % 1440) + 1440) % 1440) / 60);
}

/** Writes the numeric inputs of one flight at `offset` of `out` (float32, as the graph sees them). */
export function writeNumericInputs(minutes: number, distance: number, out: Float32Array, offset: number): void {
  const minuteOfDay = ((minutes % 1440) + 1440) % 1440;
  const date = new Date(minutes * 60_000);
  out[offset] = minuteOfDay / 60;
  // Monday = 0 … Sunday = 6.
  out[offset + 1] = (date.getUTCDay() + 6) % 7;
  out[offset + 2] = date.getUTCDate();
  out[offset + 3] = distance;
}

export function routeKey(origin: string, destination: string): string {
  return `${origin}-${destination}`;
}

export function airportHourKey(airport: string, hour: number): string {
  return `${airport}@${hour < 10 ? '0' : ''}${hour}`;
}

/** The string keys of one flight, in STRING_INPUTS order. */
export function stringKeys(origin: string, destination: string, hour: number): string[] {
  return [origin, destination, routeKey(origin, destination), airportHourKey(origin, hour), airportHourKey(destination, hour)];
}

/**
 * Raw flights → the model's inputs. Callers validate first; a malformed departure here is a bug.
 */
export function toModelInputs(flights: readonly RawFlight[]): ModelInputs {
  const rows = flights.length;
  const numeric = new Float32Array(rows * NUMERIC_INPUTS.length);
  const strings: Record<string, string[]> = {};
  const columns = STRING_INPUTS.map((name) => (strings[name] = new Array<string>(rows)));
  for (let r = 0; r < rows; r++) {
    const flight = flights[r];
    const minutes = departureMinutes(flight.departure);
    if (Number.isNaN(minutes)) throw new Error(`flights[${r}].departure is not a local ISO time: ${JSON.stringify(flight.departure)}`);
    writeNumericInputs(minutes, flight.distance, numeric, r * NUMERIC_INPUTS.length);
    const keys = stringKeys(flight.origin, flight.destination, hourOfDay(minutes));
    for (let k = 0; k < keys.length; k++) columns[k][r] = keys[k];
  }
  return { rows, numeric, strings };
}

/** A key → value function for one lookup (what `LabelEncoder` does in the graph). */
export function lookupFunction(lookup: LookupFeature): (key: string) => number {
  const table = new Map<string, number>();
  for (let i = 0; i < lookup.keys.length; i++) table.set(lookup.keys[i], lookup.values[i]);
  return (key) => table.get(key) ?? lookup.defaultValue;
}

/**
 * The feature vectors of model inputs, row-major float32 — the TypeScript twin of the ONNX graph's
 * `features` output.
 */
export function encodeFeatures(inputs: ModelInputs, spec: FeatureSpec): Float32Array {
  const numericCount = spec.numericInputs.length;
  const cols = spec.featureNames.length;
  const out = new Float32Array(inputs.rows * cols);
  const lookups = spec.lookups.map((lookup) => {
    const column = inputs.strings[lookup.input];
    if (!column) throw new Error(`model inputs have no string input "${lookup.input}" needed by feature ${lookup.name}`);
    return { column, find: lookupFunction(lookup) };
  });
  for (let r = 0; r < inputs.rows; r++) {
    const base = r * cols;
    for (let c = 0; c < numericCount; c++) out[base + c] = inputs.numeric[r * numericCount + c];
    for (let l = 0; l < lookups.length; l++) out[base + numericCount + l] = lookups[l].find(lookups[l].column[r]);
  }
  return out;
}
