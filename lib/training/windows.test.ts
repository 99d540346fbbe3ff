import { describe, expect, it } from 'vitest';
import { runWindows } from './windows.ts';

describe('runWindows', () => {
  it('evaluates on the last week before asOf and validates on the week before that', () => {
    expect(runWindows('2001-05-01')).toEqual({
      asOf: '2001-05-01T00:00',
      train: { start: '2001-01-01T00:00', end: '2001-04-17T00:00' },
      validation: { start: '2001-04-17T00:00', end: '2001-04-24T00:00' },
      evaluation: { start: '2001-04-24T00:00', end: '2001-05-01T00:00' },
    });
  });

  it('limits the training window with trainDays', () => {
    expect(runWindows('2001-05-01', 10).train).toEqual({ start: '2001-04-07T00:00', end: '2001-04-17T00:00' });
  });

  it('refuses an asOf with no training data before it, or past the data', () => {
    expect(() => runWindows('2001-01-10')).toThrow(/less than a day of training data/);
    expect(() => runWindows('2001-08-01')).toThrow(/after the end of the data/);
    expect(() => runWindows('yesterday')).toThrow(/not an ISO date/);
  });
});
