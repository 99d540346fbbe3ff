/**
 * Named subsets of flights that the card, the gate and monitoring report separately, so a model
 * that is better on average but worse for one hub or time of day is visible.
 *
 * Slice names: `origin=ORD`, `hour=00-05` | `06-11` | `12-17` | `18-23`,
 * `distance=0-499` | `500-999` | `1000-1999` | `2000+`.
 */
import type { SliceMetrics } from '../registry/card.ts';
import { metricSet } from './classification.ts';

export const HOUR_BANDS = ['00-05', '06-11', '12-17', '18-23'] as const;
export const DISTANCE_BANDS = ['0-499', '500-999', '1000-1999', '2000+'] as const;
export type HourBand = (typeof HOUR_BANDS)[number];
export type DistanceBand = (typeof DISTANCE_BANDS)[number];

/** Band of a departure hour; fractional hours (17.5 = 17:30) fall in the band of their whole hour. */
export function hourBand(hour: number): HourBand {
  if (!(hour >= 0 && hour < 24)) throw new Error(`hour must be in [0, 24), got ${hour}`);
  return HOUR_BANDS[Math.floor(hour / 6)];
}

/** Band of a great-circle distance in miles. */
export function distanceBand(miles: number): DistanceBand {
  if (!(miles >= 0)) throw new Error(`distance must be a non-negative number of miles, got ${miles}`);
  if (miles < 500) return '0-499';
  if (miles < 1000) return '500-999';
  if (miles < 2000) return '1000-1999';
  return '2000+';
}

export function originSlice(origin: string): string {
  return `origin=${origin}`;
}

export function hourSlice(hour: number): string {
  return `hour=${hourBand(hour)}`;
}

export function distanceSlice(miles: number): string {
  return `distance=${distanceBand(miles)}`;
}

/** The standard slices of one flight: its origin when it is one of `hubs`, its hour and distance bands. */
export function flightSliceNames(origin: string, hour: number, miles: number, hubs: ReadonlySet<string>): string[] {
  const names = [hourSlice(hour), distanceSlice(miles)];
  if (hubs.has(origin)) names.push(originSlice(origin));
  return names;
}

export interface SliceOptions {
  /** Slices with fewer rows are left out: their figures would be noise. Default 200. */
  minRows?: number;
  /** Alert budget for recall/precision; default 0.2. */
  budget?: number;
}

/** MetricSet per slice, sorted by slice name (code-unit order). */
export function sliceMetrics(
  labels: Uint8Array,
  scores: ArrayLike<number>,
  slicesOfRow: (row: number) => readonly string[],
  options: SliceOptions = {},
): SliceMetrics[] {
  const minRows = options.minRows ?? 200;
  const budget = options.budget ?? 0.2;
  if (labels.length !== scores.length)
    throw new Error(`labels have ${labels.length} rows but scores have ${scores.length}`);
  const members = new Map<string, number[]>();
  for (let row = 0; row < labels.length; row++) {
    for (const name of slicesOfRow(row)) {
      let rows = members.get(name);
      if (!rows) members.set(name, (rows = []));
      // A row listing a slice twice still counts once.
      if (rows[rows.length - 1] !== row) rows.push(row);
    }
  }
  const names = [...members.keys()].filter((name) => members.get(name)!.length >= minRows);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((slice) => {
    const rows = members.get(slice)!;
    const sliceLabels = new Uint8Array(rows.length);
    const sliceScores = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      sliceLabels[i] = labels[rows[i]];
      sliceScores[i] = scores[rows[i]];
    }
    return { slice, metrics: metricSet(sliceLabels, sliceScores, budget) };
  });
}

/** The `n` airports with the most departures (ties by code), from integer origin codes into `airports`. */
export function busiestOrigins(originCodes: ArrayLike<number>, airports: readonly string[], n = 10): string[] {
  const counts = new Float64Array(airports.length);
  for (let i = 0; i < originCodes.length; i++) {
    const code = originCodes[i];
    if (!(code >= 0 && code < airports.length))
      throw new Error(`originCodes[${i}] is ${code}, but there are ${airports.length} airports`);
    counts[code]++;
  }
  const seen: number[] = [];
  for (let code = 0; code < airports.length; code++) if (counts[code] > 0) seen.push(code);
  seen.sort((a, b) => counts[b] - counts[a] || (airports[a] < airports[b] ? -1 : airports[a] > airports[b] ? 1 : 0));
  return seen.slice(0, n).map((code) => airports[code]);
}
