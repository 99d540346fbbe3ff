/**
 * Time windows of a training run. Everything is relative to `asOf`:
 *   train       [trainStart, asOf − 14 d)
 *   validation  [asOf − 14 d, asOf − 7 d)   early stopping and the alert threshold
 *   evaluation  [asOf − 7 d, asOf)          the week neither candidate nor champion has seen
 */
import { isoFromMinutes, minutesFromIso } from '../data/flights.ts';

export const DATA_START = '2001-01-01T00:00';
/** The last instant with a full day of data (6 stray rows are stamped 2001-07-01 00:00). */
export const DATA_END = '2001-07-01T00:00';
const DAY = 1440;

export interface RunWindows {
  asOf: string;
  train: { start: string; end: string };
  validation: { start: string; end: string };
  evaluation: { start: string; end: string };
}

/** `trainDays` limits how far back training reaches; by default it starts with the data. */
export function runWindows(asOf: string, trainDays?: number): RunWindows {
  const asOfMinutes = minutesFromIso(asOf);
  const evaluationStart = asOfMinutes - 7 * DAY;
  const validationStart = asOfMinutes - 14 * DAY;
  const dataStart = minutesFromIso(DATA_START);
  const trainStart = trainDays === undefined ? dataStart : Math.max(dataStart, validationStart - trainDays * DAY);
  if (asOfMinutes > minutesFromIso(DATA_END))
    throw new Error(`--as-of ${asOf} is after the end of the data (${DATA_END})`);
  if (validationStart - trainStart < DAY) {
    throw new Error(
      `--as-of ${asOf} leaves less than a day of training data before ${isoFromMinutes(validationStart)}; the data starts ${DATA_START}`,
    );
  }
  if (trainDays !== undefined && !(trainDays >= 1))
    throw new Error(`--train-days must be at least 1, got ${trainDays}`);
  return {
    asOf: isoFromMinutes(asOfMinutes),
    train: { start: isoFromMinutes(trainStart), end: isoFromMinutes(validationStart) },
    validation: { start: isoFromMinutes(validationStart), end: isoFromMinutes(evaluationStart) },
    evaluation: { start: isoFromMinutes(evaluationStart), end: isoFromMinutes(asOfMinutes) },
  };
}
