import { describe, expect, it } from 'vitest';
import { inputVariable } from './step-local-action.ts';

describe("INPUT_ names (actions/runner's rule)", () => {
  it('upper-cases, turns spaces into underscores and keeps hyphens', () => {
    expect(inputVariable('who am i')).toBe('INPUT_WHO_AM_I');
    expect(inputVariable('fetch-depth')).toBe('INPUT_FETCH-DEPTH');
    expect(inputVariable('as_of')).toBe('INPUT_AS_OF');
  });
});
