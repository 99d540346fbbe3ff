/**
 * A training request as a workflow states it — strings from dispatch inputs and repository
 * variables — turned into typed options for trainModel, with errors naming the input.
 */
import { DEFAULT_GBDT_PARAMS, type GbdtParams } from '../ml/gbdt/booster.ts';

export interface TrainRequestInput {
  /** `as-of`: an ISO instant, or empty for the data clock. */
  asOf?: string;
  /** `advance-clock`: "true" moves the data clock a week (scheduled runs). */
  advanceClock?: string;
  /** `train-days`: days of training data before the validation week; empty = all since the start. */
  trainDays?: string;
  /** `params`: a JSON object of GBDT parameters (`{"trees": 100, "learningRate": 0.2}`). */
  params?: string;
}

export interface TrainRequest {
  asOf?: string;
  advanceDays: number;
  trainDays?: number;
  params: Partial<GbdtParams>;
}

const NUMERIC_PARAMS = Object.keys(DEFAULT_GBDT_PARAMS) as (keyof GbdtParams)[];

export function parseTrainRequest(input: TrainRequestInput, stepDays: number): TrainRequest {
  const flag = (input.advanceClock ?? '').trim().toLowerCase();
  if (!['', 'true', 'false'].includes(flag))
    throw new Error(`input advance-clock must be true or false, got ${JSON.stringify(input.advanceClock)}`);
  const asOf = input.asOf?.trim() || undefined;
  if (asOf && flag === 'true') throw new Error('give either input as-of or advance-clock: true, not both');
  let trainDays: number | undefined;
  const days = input.trainDays?.trim();
  if (days) {
    trainDays = Number(days);
    if (!Number.isInteger(trainDays) || trainDays < 1)
      throw new Error(`input train-days must be a whole number of days ≥ 1, got ${JSON.stringify(input.trainDays)}`);
  }
  const params: Partial<GbdtParams> = {};
  const text = input.params?.trim();
  if (text) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`input params must be a JSON object such as {"trees": 100}, got ${JSON.stringify(text)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`input params must be a JSON object, got ${JSON.stringify(text)}`);
    for (const [key, raw] of Object.entries(value)) {
      if (!NUMERIC_PARAMS.includes(key as keyof GbdtParams))
        throw new Error(`input params: unknown parameter "${key}" (known: ${NUMERIC_PARAMS.join(', ')})`);
      if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0)
        throw new Error(`input params: ${key} must be a non-negative number, got ${JSON.stringify(raw)}`);
      (params as Record<string, number>)[key] = raw;
    }
  }
  return { asOf, advanceDays: flag === 'true' ? stepDays : 0, trainDays, params };
}
