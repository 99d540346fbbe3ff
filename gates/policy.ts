/**
 * The gate policy (`gates/policy.json`): every threshold the gate applies, in one reviewed file.
 * Validated by hand so a typo in a threshold is an error naming the field, never a silent default.
 */
import { readFile } from 'node:fs/promises';
import { sha256Hex } from '../lib/util/hash.ts';
import { errorMessage } from '../lib/util/errors.ts';

export interface GatePolicy {
  schemaVersion: 1;
  /** Share of flights flagged by the operations desk; recall and precision are measured at it. */
  alertBudget: number;
  floors: { auc: number; recallAtBudget: number };
  nonRegression: {
    /** Paired bootstrap resamples of the evaluation rows; the interval is the central 95%. */
    iterations: number;
    seed: number;
    /** Fail when the upper end of the 95% interval of candidate − champion is below −tolerance. */
    auc: { tolerance: number };
    recallAtBudget: { tolerance: number };
  };
  slices: {
    /** Busiest origin airports that get their own slice. */
    hubs: number;
    /** Slices with fewer evaluation rows are reported but not gated. */
    minRows: number;
    /** Fail a slice when the upper end of the 95% DeLong interval of its Δ AUC is below −aucTolerance. */
    aucTolerance: number;
  };
  /** ECE ceiling, and how much worse than the champion's ECE on the same rows it may be. */
  calibration: { maxEce: number; maxEceIncrease: number };
  artifact: { maxBytes: number };
  /**
   * The gate measures each call's CPU time (the process's, every thread) beside its wall clock and
   * gates the CPU time: at load 10 on 2 shared cores every round's wall-clock p99 was 5.8-11.7 ms for
   * a model with p50 0.08 ms — time spent waiting for a core. The calls are split into `rounds`
   * consecutive rounds and the best round's p99 is gated, as timeit reports the minimum: a GC pause
   * or a burst spoils a round; a model that is itself slow is slow in every round.
   */
  latency: { maxP99Ms: number; calls: number; warmupCalls: number; rounds: number };
  golden: { tolerance: number };
  data: {
    minRows: number;
    minTrainRows: number;
    labelRate: { min: number; max: number };
    maxNullShare: number;
    maxUnseenAirportShare: number;
    maxUnseenRouteShare: number;
  };
}

type Spec = { [key: string]: Spec | 'number' | 'integer' | 'share' | 'positive' | 'const1' };

const SPEC: Spec = {
  schemaVersion: 'const1',
  alertBudget: 'share',
  floors: { auc: 'share', recallAtBudget: 'share' },
  nonRegression: {
    iterations: 'integer',
    seed: 'integer',
    auc: { tolerance: 'share' },
    recallAtBudget: { tolerance: 'share' },
  },
  slices: { hubs: 'integer', minRows: 'integer', aucTolerance: 'share' },
  calibration: { maxEce: 'share', maxEceIncrease: 'share' },
  artifact: { maxBytes: 'integer' },
  latency: { maxP99Ms: 'positive', calls: 'integer', warmupCalls: 'integer', rounds: 'integer' },
  golden: { tolerance: 'positive' },
  data: {
    minRows: 'integer',
    minTrainRows: 'integer',
    labelRate: { min: 'share', max: 'share' },
    maxNullShare: 'share',
    maxUnseenAirportShare: 'share',
    maxUnseenRouteShare: 'share',
  },
};

function check(value: unknown, spec: Spec, field: string, errors: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(`${field} must be an object`);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    // `$comment` keys document the file in place.
    if (!(key in spec) && !key.startsWith('$')) errors.push(`${field}.${key} is not a known policy field`);
  }
  for (const [key, rule] of Object.entries(spec)) {
    const name = `${field}.${key}`;
    const v = obj[key];
    if (v === undefined) {
      errors.push(`${name} is missing`);
      continue;
    }
    if (typeof rule === 'object') {
      check(v, rule, name, errors);
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${name} must be a number, got ${JSON.stringify(v)}`);
    else if (rule === 'const1' && v !== 1) errors.push(`${name} must be 1, got ${v}`);
    else if (rule === 'integer' && !(Number.isInteger(v) && v >= 0))
      errors.push(`${name} must be a whole number ≥ 0, got ${v}`);
    else if (rule === 'share' && !(v >= 0 && v <= 1)) errors.push(`${name} must be between 0 and 1, got ${v}`);
    else if (rule === 'positive' && !(v > 0)) errors.push(`${name} must be above 0, got ${v}`);
  }
}

export function policyErrors(value: unknown): string[] {
  const errors: string[] = [];
  check(value, SPEC, 'policy', errors);
  if (errors.length > 0) return errors;
  const p = value as GatePolicy;
  if (p.data.labelRate.min > p.data.labelRate.max)
    errors.push(
      `policy.data.labelRate.min (${p.data.labelRate.min}) is above policy.data.labelRate.max (${p.data.labelRate.max})`,
    );
  if (p.nonRegression.iterations < 100)
    errors.push(
      `policy.nonRegression.iterations must be at least 100 for a 95% interval, got ${p.nonRegression.iterations}`,
    );
  if (p.latency.rounds < 1) errors.push(`policy.latency.rounds must be at least 1, got ${p.latency.rounds}`);
  else if (p.latency.calls / p.latency.rounds < 100)
    errors.push(
      `policy.latency.calls / policy.latency.rounds must be at least 100 for a p99 per round, got ${p.latency.calls} / ${p.latency.rounds}`,
    );
  if (p.alertBudget === 0) errors.push('policy.alertBudget must be above 0');
  return errors;
}

export function parsePolicy(text: string, file = 'gates/policy.json'): GatePolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${errorMessage(error)}`);
  }
  const errors = policyErrors(value);
  if (errors.length > 0) throw new Error(`${file} is invalid:\n  - ${errors.join('\n  - ')}`);
  return value as GatePolicy;
}

export interface LoadedPolicy {
  policy: GatePolicy;
  /** sha256 of the policy file's bytes, recorded in the evidence. */
  sha256: string;
  file: string;
}

export async function loadPolicy(file: string): Promise<LoadedPolicy> {
  const bytes = await readFile(file);
  return { policy: parsePolicy(bytes.toString('utf8'), file), sha256: sha256Hex(bytes), file };
}
