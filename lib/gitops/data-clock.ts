/**
 * Which instant a training run trains up to. The repository's data clock
 * (`manifests/data-clock.json`) stands in for "now" in a data set that ends in 2001: a scheduled run
 * advances it by a week (a week of new flights has arrived), a dispatch may name an `asOf` instead.
 * The clock moves on `main` together with the promotion that used it (a commit on the promotion
 * branch), so a rollback — which reverts only the promotion commit — leaves it where it is.
 */
import { isoFromMinutes, minutesFromIso } from '../data/flights.ts';
import { DATA_END } from '../training/windows.ts';
import type { DataClock } from '../manifest/schema.ts';

export const CLOCK_STEP_DAYS = 7;

export interface AsOfRequest {
  /** An explicit instant (dispatch input); wins over the clock. */
  asOf?: string;
  /** Move the clock forward by this many days (scheduled runs: 7). */
  advanceDays?: number;
}

export interface ResolvedAsOf {
  asOf: string;
  /** The clock to record with the promotion, when it moves. */
  clock: DataClock | null;
  source: string;
}

/** Pure: the run's `asOf` from a request and the committed clock. */
export function resolveAsOf(request: AsOfRequest, clock: DataClock | null): ResolvedAsOf {
  if (request.asOf) {
    const asOf = isoFromMinutes(minutesFromIso(request.asOf));
    return { asOf, clock: { asOf }, source: `as-of ${request.asOf} (dispatch input)` };
  }
  if (!clock) throw new Error('no as-of given and manifests/data-clock.json does not exist');
  const days = request.advanceDays ?? 0;
  if (!Number.isInteger(days) || days < 0) throw new Error(`advance must be a whole number of days ≥ 0, got ${days}`);
  if (days === 0) return { asOf: clock.asOf, clock: null, source: `the data clock (${clock.asOf})` };
  const next = minutesFromIso(clock.asOf) + days * 1440;
  if (next > minutesFromIso(DATA_END)) {
    throw new Error(
      `the data clock is at ${clock.asOf}; ${days} more days would pass the end of the data (${DATA_END}): dispatch with an as-of instead`,
    );
  }
  const asOf = isoFromMinutes(next);
  return { asOf, clock: { asOf }, source: `the data clock ${clock.asOf} advanced by ${days} days` };
}
