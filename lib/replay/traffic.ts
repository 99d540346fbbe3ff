/**
 * Which flights a replay sends: one week of the real data set, in departure order or shuffled
 * (seeded), optionally changed the way a broken upstream would change them — distance in
 * kilometres, one airport's feed gone, one airport's field stuck at a constant. Pure: the table in,
 * the flights out.
 */
import { type FlightTable, isoFromMinutes, lowerBound, minutesFromIso } from '../data/flights.ts';
import { createRandom } from '../util/random.ts';

/** A flight as the replay sends it, with its real outcome for the feedback. */
export interface ReplayFlight {
  /** Local wall-clock departure, `2001-06-04T17:35`. */
  departure: string;
  distance: number;
  origin: string;
  destination: string;
  /** The real departure delay in minutes (sent as feedback). */
  delayMinutes: number;
}

export const STUCK_FIELDS = ['distance', 'time', 'destination'] as const;
export type StuckField = (typeof STUCK_FIELDS)[number];

/** How a broken upstream changes the traffic. */
export type TrafficChange =
  /** Distance sent in kilometres instead of miles. */
  | { kind: 'kilometres' }
  /** One origin airport's feed is gone: its flights never arrive. */
  | { kind: 'drop-origin'; airport: string }
  /** One origin airport's feed sends a constant: distance, time of day (`HH:MM`) or destination. */
  | { kind: 'stuck'; airport: string; field: StuckField; value: string };

export const MILES_TO_KILOMETRES = 1.609344;

export interface TrafficSelection {
  /** First day of the week, `YYYY-MM-DD` (local wall clock, as the data set). */
  week: string;
  /** Days from `week` (default 7). */
  days?: number;
  /** `shuffled` (default): the week's flights in a seeded random order, so any prefix is a sample of the whole week. */
  order?: 'time' | 'shuffled';
  seed?: number;
  /** At most this many flights, after the changes (so dropping a feed does not shorten the run). */
  limit?: number;
  changes?: readonly TrafficChange[];
}

export interface SelectedTraffic {
  flights: ReplayFlight[];
  /** Flights departing in the window before any change or limit. */
  inWindow: number;
  /** Flights the changes removed. */
  removed: number;
  /** Flights a change altered. */
  altered: number;
}

const AIRPORT = /^[A-Z0-9]{3}$/;
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Parses `kilometres`, `drop-origin:ORD`, `stuck:ORD:time=00:00` (the CLI's `--change` values). */
export function parseTrafficChange(spec: string): TrafficChange {
  if (spec === 'kilometres') return { kind: 'kilometres' };
  const drop = /^drop-origin:(.+)$/.exec(spec);
  if (drop) return { kind: 'drop-origin', airport: airportCode(drop[1], spec) };
  const stuck = /^stuck:([^:]+):([a-z]+)=(.+)$/.exec(spec);
  if (stuck) {
    const field = stuck[2] as StuckField;
    if (!STUCK_FIELDS.includes(field))
      throw new Error(`change ${JSON.stringify(spec)}: field must be one of ${STUCK_FIELDS.join(', ')}`);
    const value = stuck[3];
    if (field === 'distance' && !(Number(value) >= 1 && Number(value) <= 10_000))
      throw new Error(`change ${JSON.stringify(spec)}: distance must be a number of miles in 1..10000`);
    if (field === 'time' && !TIME_OF_DAY.test(value))
      throw new Error(`change ${JSON.stringify(spec)}: time must be HH:MM`);
    if (field === 'destination') airportCode(value, spec);
    return { kind: 'stuck', airport: airportCode(stuck[1], spec), field, value };
  }
  throw new Error(
    `change ${JSON.stringify(spec)} is not one of: kilometres, drop-origin:<AIRPORT>, stuck:<AIRPORT>:<distance|time|destination>=<value>`,
  );
}

function airportCode(code: string, spec: string): string {
  if (!AIRPORT.test(code))
    throw new Error(`change ${JSON.stringify(spec)}: ${JSON.stringify(code)} is not an airport code`);
  return code;
}

export function describeChange(change: TrafficChange): string {
  switch (change.kind) {
    case 'kilometres':
      return 'distance in kilometres instead of miles';
    case 'drop-origin':
      return `flights from ${change.airport} dropped`;
    case 'stuck':
      return `flights from ${change.airport} sent with ${change.field} stuck at ${change.value}`;
  }
}

/** The flight after the changes, or null when a change removes it. */
export function applyChanges(flight: ReplayFlight, changes: readonly TrafficChange[]): ReplayFlight | null {
  let out = flight;
  for (const change of changes) {
    switch (change.kind) {
      case 'kilometres':
        out = { ...out, distance: Math.round(out.distance * MILES_TO_KILOMETRES) };
        break;
      case 'drop-origin':
        if (out.origin === change.airport) return null;
        break;
      case 'stuck':
        if (out.origin !== change.airport) break;
        if (change.field === 'distance') out = { ...out, distance: Number(change.value) };
        else if (change.field === 'time') out = { ...out, departure: `${out.departure.slice(0, 11)}${change.value}` };
        else out = { ...out, destination: change.value };
        break;
    }
  }
  return out;
}

export function selectTraffic(table: FlightTable, selection: TrafficSelection): SelectedTraffic {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(selection.week))
    throw new Error(`week must be a date YYYY-MM-DD, got ${JSON.stringify(selection.week)}`);
  const from = minutesFromIso(`${selection.week}T00:00`);
  const days = selection.days ?? 7;
  const start = lowerBound(table, from);
  const end = lowerBound(table, from + days * 24 * 60);
  if (end <= start)
    throw new Error(
      `no flights depart in the ${days} days from ${selection.week}; the data set covers ${isoFromMinutes(table.departure[0]).slice(0, 10)} to ${isoFromMinutes(table.departure[table.rows - 1]).slice(0, 10)}`,
    );
  const rows = Int32Array.from({ length: end - start }, (_, i) => start + i);
  if ((selection.order ?? 'shuffled') === 'shuffled') {
    const random = createRandom(selection.seed ?? 1);
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = rows[i];
      rows[i] = rows[j];
      rows[j] = t;
    }
  }
  const changes = selection.changes ?? [];
  const limit = selection.limit ?? Number.POSITIVE_INFINITY;
  const flights: ReplayFlight[] = [];
  let removed = 0;
  let altered = 0;
  for (let k = 0; k < rows.length && flights.length < limit; k++) {
    const row = rows[k];
    const flight: ReplayFlight = {
      departure: isoFromMinutes(table.departure[row]),
      distance: table.distance[row],
      origin: table.airports[table.origin[row]],
      destination: table.airports[table.destination[row]],
      delayMinutes: table.delay[row],
    };
    const changed = applyChanges(flight, changes);
    if (changed === null) removed++;
    else {
      if (changed !== flight) altered++;
      flights.push(changed);
    }
  }
  return { flights, inWindow: rows.length, removed, altered };
}
