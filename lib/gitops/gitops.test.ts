import { describe, expect, it } from 'vitest';
import type { ProductionManifest } from '../manifest/schema.ts';
import { resolveAsOf } from './data-clock.ts';
import { classifyChange } from './pr-gate.ts';
import { parseTrainRequest } from './train-request.ts';
import { goldenProblem } from './verify-version.ts';

const entry = (version: string, sha = version.padEnd(64, '0').slice(0, 64)) => ({
  version,
  path: `models/flight-delay/${version}/model.onnx`,
  sha256: sha,
});

function manifest(champion: string, previous: string | null): ProductionManifest {
  return {
    schemaVersion: 1,
    model: 'flight-delay',
    champion: entry(champion),
    previous: previous ? entry(previous) : null,
    challenger: null,
    reason: 'test',
    updatedAt: '2001-05-01T00:00:00Z',
  };
}

describe('resolveAsOf', () => {
  const clock = { asOf: '2001-05-01T00:00' };
  it('advances the data clock by whole days and records the new clock', () => {
    expect(resolveAsOf({ advanceDays: 7 }, clock)).toEqual({
      asOf: '2001-05-08T00:00',
      clock: { asOf: '2001-05-08T00:00' },
      source: 'the data clock 2001-05-01T00:00 advanced by 7 days',
    });
  });
  it('uses the clock as it is without advancing, and an explicit as-of over the clock', () => {
    expect(resolveAsOf({}, clock)).toMatchObject({ asOf: '2001-05-01T00:00', clock: null });
    expect(resolveAsOf({ asOf: '2001-06-01' }, clock)).toMatchObject({
      asOf: '2001-06-01T00:00',
      clock: { asOf: '2001-06-01T00:00' },
    });
  });
  it('refuses to run past the end of the data, and a missing clock', () => {
    expect(() => resolveAsOf({ advanceDays: 7 }, { asOf: '2001-06-28T00:00' })).toThrow(/end of the data/);
    expect(() => resolveAsOf({ advanceDays: 7 }, null)).toThrow(/data-clock.json does not exist/);
  });
});

describe('parseTrainRequest', () => {
  it('reads dispatch inputs', () => {
    expect(
      parseTrainRequest({ advanceClock: 'true', trainDays: '28', params: '{"trees": 40, "learningRate": 0.3}' }, 7),
    ).toEqual({ asOf: undefined, advanceDays: 7, trainDays: 28, params: { trees: 40, learningRate: 0.3 } });
    expect(parseTrainRequest({ asOf: '2001-05-15', advanceClock: 'false', params: '' }, 7)).toEqual({
      asOf: '2001-05-15',
      advanceDays: 0,
      trainDays: undefined,
      params: {},
    });
  });
  it('names the input that is wrong', () => {
    expect(() => parseTrainRequest({ advanceClock: 'yes' }, 7)).toThrow(/input advance-clock/);
    expect(() => parseTrainRequest({ asOf: '2001-05-15', advanceClock: 'true' }, 7)).toThrow(/not both/);
    expect(() => parseTrainRequest({ trainDays: '2.5' }, 7)).toThrow(/input train-days/);
    expect(() => parseTrainRequest({ params: '[1]' }, 7)).toThrow(/input params must be a JSON object/);
    expect(() => parseTrainRequest({ params: '{"tres": 4}' }, 7)).toThrow(/unknown parameter "tres"/);
    expect(() => parseTrainRequest({ params: '{"trees": "4"}' }, 7)).toThrow(/trees must be a non-negative number/);
  });
});

describe('classifyChange', () => {
  const base = manifest('v2', 'v1');
  it('tells a promotion, a rollback and an unchanged champion apart', () => {
    expect(classifyChange(base, manifest('v3', 'v2'))).toBe('promotion');
    expect(classifyChange(base, manifest('v1', 'v0'))).toBe('rollback');
    expect(classifyChange(base, manifest('v2', 'v1'))).toBe('unchanged');
    expect(classifyChange(null, manifest('v1', null))).toBe('promotion');
  });
  it('treats a restored version whose sha256 differs as a promotion (it gets the full gate)', () => {
    const tampered = manifest('v1', 'v0');
    tampered.champion.sha256 = 'f'.repeat(64);
    expect(classifyChange(base, tampered)).toBe('promotion');
  });
});

describe('goldenProblem', () => {
  it('passes within the tolerance and names the worst example beyond it', () => {
    expect(goldenProblem([0.1, 0.2], new Float32Array([0.1, 0.2]), 1e-6).problem).toBeNull();
    const result = goldenProblem([0.1, 0.2, 0.3], new Float32Array([0.1, 0.25, 0.31]), 1e-6);
    expect(result.problem).toMatch(/^2 of 3 golden outputs differ by more than 1e-6; worst golden\[1\]/);
    expect(result.maxDifference).toBeCloseTo(0.05, 6);
  });
  it('catches NaN and an empty list', () => {
    expect(goldenProblem([0.1], new Float32Array([Number.NaN]), 1e-6).problem).toMatch(/worst golden\[0\]/);
    expect(goldenProblem([], new Float32Array(0), 1e-6).problem).toMatch(/no golden examples/);
  });
});
