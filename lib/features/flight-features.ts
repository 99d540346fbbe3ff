/**
 * The one feature module. Serving and training both start from `toModelInputs` (raw fields →
 * numeric columns + string keys); the learned lookups in `FeatureSpec` turn those into the
 * feature vector, in the ONNX graph when serving and in `encodeFeatures` when training or testing.
 */
import type { FeatureSpec, LookupFeature, ModelInputs, RawFlight } from './spec.ts';

export const NUMERIC_INPUTS = ['hour', 'weekday', 'day_of_month', 'distance'] as const;
export const STRING_INPUTS = ['origin', 'destination', 'route', 'origin_hour', 'destination_hour'] as const;

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The digit at `i`, or -1. Character codes, not a regex or Date: this runs for every served row. */
function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function twoDigits(s: string, i: number): number {
  const a = digitAt(s, i);
  const b = digitAt(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Day of month (1..31) of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function dayOfMonthFromDays(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return doy - Math.floor((153 * mp + 2) / 5) + 1;
}

/**
 * Minutes since the epoch of a local wall-clock ISO stamp `YYYY-MM-DDTHH:MM[:SS[.fff]]`
 * (seconds are accepted and ignored); NaN when malformed or not a real date (e.g. 2001-02-30).
 */
export function departureMinutes(departure: string): number {
  const s = departure;
  const n = s.length;
  if (n < 16 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58)
    return Number.NaN;
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
    return Number.NaN;
  const year = century * 100 + yy;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month])) return Number.NaN;
  if (n > 16) {
    if (n < 19 || s.charCodeAt(16) !== 58 || twoDigits(s, 17) < 0) return Number.NaN;
    if (n > 19) {
      if (n === 20 || s.charCodeAt(19) !== 46) return Number.NaN;
      for (let i = 20; i < n; i++) if (digitAt(s, i) < 0) return Number.NaN;
    }
  }
  return daysFromCivil(year, month, day) * 1440 + hour * 60 + minute;
}

/** Hour of day (0..23) of a departure given in minutes since the epoch. */
export function hourOfDay(minutes: number): number {
  return Math.floor((((minutes % 1440) + 1440) % 1440) / 60);
}

/** Writes the numeric inputs of one flight at `offset` of `out` (float32, as the graph sees them). */
export function writeNumericInputs(minutes: number, distance: number, out: Float32Array, offset: number): void {
  const minuteOfDay = ((minutes % 1440) + 1440) % 1440;
  const days = (minutes - minuteOfDay) / 1440;
  out[offset] = minuteOfDay / 60;
  // Monday = 0 … Sunday = 6; 1970-01-01 was a Thursday (3).
  out[offset + 1] = (((days + 3) % 7) + 7) % 7;
  out[offset + 2] = dayOfMonthFromDays(days);
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
  return [
    origin,
    destination,
    routeKey(origin, destination),
    airportHourKey(origin, hour),
    airportHourKey(destination, hour),
  ];
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
    if (Number.isNaN(minutes))
      throw new Error(`flights[${r}].departure is not a local ISO time: ${JSON.stringify(flight.departure)}`);
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
    if (!column)
      throw new Error(`model inputs have no string input "${lookup.input}" needed by feature ${lookup.name}`);
    return { column, find: lookupFunction(lookup) };
  });
  for (let r = 0; r < inputs.rows; r++) {
    const base = r * cols;
    for (let c = 0; c < numericCount; c++) out[base + c] = inputs.numeric[r * numericCount + c];
    for (let l = 0; l < lookups.length; l++) out[base + numericCount + l] = lookups[l].find(lookups[l].column[r]);
  }
  return out;
}
