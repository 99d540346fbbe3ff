/**
 * Request validation. Every problem names the field as a client would address it in its own
 * JSON (`flights[3].distance`) and says what was expected and what came instead.
 */
import { daysFromCivil, departureMinutes } from '../lib/features/flight-features.ts';
import type { RawFlight } from '../lib/features/spec.ts';

export const LIMITS = {
  distanceMin: 1,
  distanceMax: 10_000,
  yearMin: 1970,
  yearMax: 2100,
  delayMinutesMin: -1440,
  delayMinutesMax: 10_000,
  /** Problems listed per response; the first is also the message. */
  maxIssues: 10,
} as const;

export const AIRPORT_PATTERN = /^[A-Z]{3}$/;
export const DEPARTURE_EXAMPLE = '2001-05-04T17:35';
export const FLIGHT_FIELDS = ['departure', 'distance', 'origin', 'destination'] as const;

export interface Issue {
  field: string;
  problem: string;
}

export class RequestError extends Error {
  readonly status: 400 | 404 | 409 | 413 | 415;
  readonly issues: Issue[];
  constructor(status: RequestError['status'], issues: Issue[]) {
    super(issues.map(formatIssue)[0] ?? 'bad request');
    this.name = 'RequestError';
    this.status = status;
    this.issues = issues;
  }
}

export function formatIssue(issue: Issue): string {
  return issue.field === '' ? issue.problem : `${issue.field} ${issue.problem}`;
}

/** A short, safe rendering of what the client sent. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
      return `number ${value}`;
    case 'boolean':
      return `boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DISTANCE_PROBLEM = `must be a finite number between ${LIMITS.distanceMin} and ${LIMITS.distanceMax}`;
const DEPARTURE_PROBLEM = `must be a local date-time like "${DEPARTURE_EXAMPLE}" (no time zone; year ${LIMITS.yearMin}–${LIMITS.yearMax})`;
const AIRPORT_PROBLEM = 'must be a 3-letter IATA airport code in capitals, like "ORD"';

export function checkDeparture(value: unknown, field: string, issues: Issue[]): value is string {
  if (typeof value === 'string' && isValidDeparture(value)) return true;
  issues.push({ field, problem: `${DEPARTURE_PROBLEM}, got ${describeValue(value)}` });
  return false;
}

/** The departures the service accepts: years LIMITS.yearMin to LIMITS.yearMax, in minutes since the epoch. */
const FIRST_MINUTE = daysFromCivil(LIMITS.yearMin, 1, 1) * 1440;
const END_MINUTE = daysFromCivil(LIMITS.yearMax + 1, 1, 1) * 1440;
/** `YYYY-MM-DDTHH:MM:SS.` and a dozen fraction digits: longer strings are not departures but abuse. */
const MAX_DEPARTURE_LENGTH = 32;

/**
 * Minutes since the epoch of a departure the service accepts, or NaN: the feature module's one
 * parser (`departureMinutes`, which training uses too) with the service's limits on top — a bounded
 * length and the years of LIMITS (1970–2100).
 */
export function validDepartureMinutes(s: string): number {
  if (s.length > MAX_DEPARTURE_LENGTH) return Number.NaN;
  const minutes = departureMinutes(s);
  return minutes >= FIRST_MINUTE && minutes < END_MINUTE ? minutes : Number.NaN;
}

export function isValidDeparture(s: string): boolean {
  return !Number.isNaN(validDepartureMinutes(s));
}

/** AIRPORT_PATTERN without the regex engine (it runs twice for every row). */
export function isAirportCode(value: string): boolean {
  if (value.length !== 3) return false;
  const a = value.charCodeAt(0);
  const b = value.charCodeAt(1);
  const c = value.charCodeAt(2);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90 && c >= 65 && c <= 90;
}

function checkAirport(value: unknown, field: string, issues: Issue[]): boolean {
  if (typeof value === 'string' && isAirportCode(value)) return true;
  issues.push({ field, problem: `${AIRPORT_PROBLEM}, got ${describeValue(value)}` });
  return false;
}

/** Checks one flight; pushes issues and returns whether it is valid. `at` is the field prefix. */
export function checkFlight(value: unknown, at: string, issues: Issue[]): value is RawFlight {
  return !Number.isNaN(flightMinutes(value, at, issues));
}

/** checkFlight that also returns the departure's minutes since the epoch (NaN when invalid). */
function flightMinutes(value: unknown, at: string, issues: Issue[]): number {
  if (!isObject(value)) {
    issues.push({
      field: at === '' ? 'body' : at,
      problem: `must be a flight object with ${FLIGHT_FIELDS.join(', ')}, got ${describeValue(value)}`,
    });
    return Number.NaN;
  }
  const prefix = at === '' ? '' : `${at}.`;
  const before = issues.length;
  const departure = value.departure;
  const minutes = typeof departure === 'string' ? validDepartureMinutes(departure) : Number.NaN;
  if (Number.isNaN(minutes))
    issues.push({ field: `${prefix}departure`, problem: `${DEPARTURE_PROBLEM}, got ${describeValue(departure)}` });
  const distance = value.distance;
  if (
    typeof distance !== 'number' ||
    !Number.isFinite(distance) ||
    distance < LIMITS.distanceMin ||
    distance > LIMITS.distanceMax
  ) {
    issues.push({ field: `${prefix}distance`, problem: `${DISTANCE_PROBLEM}, got ${describeValue(distance)}` });
  }
  checkAirport(value.origin, `${prefix}origin`, issues);
  checkAirport(value.destination, `${prefix}destination`, issues);
  return issues.length === before ? minutes : Number.NaN;
}

export interface PredictRequest {
  batch: boolean;
  flights: RawFlight[];
  /** Each flight's departure in minutes since the epoch (validation computes them anyway). */
  minutes: Float64Array;
}

/**
 * A parsed JSON body → flights. A body with a `flights` key is a batch; anything else is one flight.
 * Only the four known fields are read, and copied, so nothing else a client sends travels further.
 */
export function parsePredictBody(body: unknown, maxBatch: number): PredictRequest {
  const issues: Issue[] = [];
  if (isObject(body) && 'flights' in body) {
    const list = body.flights;
    if (!Array.isArray(list) || list.length === 0) {
      throw new RequestError(400, [
        {
          field: 'flights',
          problem: `must be an array of 1 to ${maxBatch} flight objects, got ${Array.isArray(list) ? 'an empty array' : describeValue(list)}`,
        },
      ]);
    }
    if (list.length > maxBatch) {
      throw new RequestError(413, [
        {
          field: 'flights',
          problem: `has ${list.length} items; at most ${maxBatch} are allowed per request (split the batch)`,
        },
      ]);
    }
    const flights: RawFlight[] = new Array(list.length);
    const minutes = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      minutes[i] = flightMinutes(item, `flights[${i}]`, issues);
      if (issues.length === 0) flights[i] = copyFlight(item as RawFlight);
      else if (issues.length >= LIMITS.maxIssues) break;
    }
    if (issues.length > 0) throw new RequestError(400, issues.slice(0, LIMITS.maxIssues));
    return { batch: true, flights, minutes };
  }
  const minutes = flightMinutes(body, '', issues);
  if (issues.length > 0) throw new RequestError(400, issues);
  return { batch: false, flights: [copyFlight(body as RawFlight)], minutes: Float64Array.of(minutes) };
}

function copyFlight(value: RawFlight): RawFlight {
  return { departure: value.departure, distance: value.distance, origin: value.origin, destination: value.destination };
}

/** Which prediction an outcome belongs to: by request id (and row), or by the flight itself. */
export type FeedbackTarget =
  | { kind: 'request'; requestId: string; index: number }
  | { kind: 'flight'; departure: string; minutes: number; origin: string; destination: string };

export interface FeedbackRequest {
  target: FeedbackTarget;
  delayMinutes: number;
}

export function parseFeedbackBody(body: unknown): FeedbackRequest {
  if (!isObject(body)) {
    throw new RequestError(400, [
      {
        field: 'body',
        problem: `must be an object with delayMinutes and either requestId or flight, got ${describeValue(body)}`,
      },
    ]);
  }
  const issues: Issue[] = [];
  const delay = body.delayMinutes;
  if (
    typeof delay !== 'number' ||
    !Number.isFinite(delay) ||
    delay < LIMITS.delayMinutesMin ||
    delay > LIMITS.delayMinutesMax
  ) {
    issues.push({
      field: 'delayMinutes',
      problem: `must be a finite number of minutes between ${LIMITS.delayMinutesMin} and ${LIMITS.delayMinutesMax} (negative = early), got ${describeValue(delay)}`,
    });
  }
  let target: FeedbackTarget | null = null;
  if (body.requestId !== undefined) {
    const index = body.index ?? 0;
    if (typeof body.requestId !== 'string' || body.requestId.length === 0 || body.requestId.length > 128) {
      issues.push({
        field: 'requestId',
        problem: `must be the request id a prediction returned, got ${describeValue(body.requestId)}`,
      });
    } else if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      issues.push({
        field: 'index',
        problem: `must be a non-negative integer (the row of a batch request), got ${describeValue(index)}`,
      });
    } else target = { kind: 'request', requestId: body.requestId, index };
  } else if (body.flight !== undefined) {
    const flight = body.flight;
    if (!isObject(flight))
      issues.push({
        field: 'flight',
        problem: `must be an object with departure, origin and destination, got ${describeValue(flight)}`,
      });
    else {
      const ok = [
        checkDeparture(flight.departure, 'flight.departure', issues),
        checkAirport(flight.origin, 'flight.origin', issues),
        checkAirport(flight.destination, 'flight.destination', issues),
      ];
      if (ok.every(Boolean))
        target = {
          kind: 'flight',
          departure: flight.departure as string,
          minutes: validDepartureMinutes(flight.departure as string),
          origin: flight.origin as string,
          destination: flight.destination as string,
        };
    }
  } else {
    issues.push({ field: 'requestId', problem: 'or flight is required: say which prediction the outcome belongs to' });
  }
  if (issues.length > 0 || !target) throw new RequestError(400, issues);
  return { target, delayMinutes: delay as number };
}
