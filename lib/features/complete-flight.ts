/**
 * Whether a raw flight has every field the feature module can read: the structural check the
 * gate's data checks and the model-card validator (golden inputs) share. The service layers its
 * range checks (airport code format, distance limits, years) on top in `service/validation.ts`.
 */
import { departureMinutes } from './flight-features.ts';
import type { RawFlight } from './spec.ts';

type LooseFlight = Partial<Record<keyof RawFlight, unknown>>;

/** Whether a departure stamp is one the feature module can read. */
export function validDeparture(departure: unknown): departure is string {
  return typeof departure === 'string' && !Number.isNaN(departureMinutes(departure));
}

const validDistance = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const validAirport = (v: unknown) => typeof v === 'string' && v.length > 0;

const FIELD_CHECKS: [keyof RawFlight, (value: unknown) => boolean][] = [
  ['departure', validDeparture],
  ['distance', validDistance],
  ['origin', validAirport],
  ['destination', validAirport],
];

/** Whether distance and airports are present and well-formed (the departure aside). */
export function validPlaceFields(f: LooseFlight): boolean {
  return validDistance(f.distance) && validAirport(f.origin) && validAirport(f.destination);
}

/** Whether a raw flight has every field the feature module needs. */
export function isCompleteFlight(f: LooseFlight): f is RawFlight {
  return validDeparture(f.departure) && validPlaceFields(f);
}

/** The fields of `value` the feature module could not read; empty for a complete flight. */
export function incompleteFields(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return FIELD_CHECKS.map(([name]) => name);
  const f = value as LooseFlight;
  return FIELD_CHECKS.filter(([name, valid]) => !valid(f[name])).map(([name]) => name);
}
