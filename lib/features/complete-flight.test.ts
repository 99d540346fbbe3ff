import { describe, expect, it } from 'vitest';
import { incompleteFields, isCompleteFlight } from './complete-flight.ts';

const flight = { departure: '2001-05-01T06:30', distance: 1, origin: 'A', destination: 'B' };

describe('a complete flight', () => {
  it('has a readable departure, a finite non-negative distance and both airports', () => {
    expect(isCompleteFlight(flight)).toBe(true);
    expect(isCompleteFlight({ ...flight, departure: '2001-02-30T06:30' })).toBe(false);
    expect(isCompleteFlight({ ...flight, distance: Number.NaN })).toBe(false);
    expect(isCompleteFlight({ ...flight, distance: -1 })).toBe(false);
    expect(isCompleteFlight({ ...flight, origin: '' })).toBe(false);
  });

  it('names what is missing or malformed', () => {
    expect(incompleteFields(flight)).toEqual([]);
    expect(incompleteFields({ ...flight, departure: 'May 1st', destination: 7 })).toEqual(['departure', 'destination']);
    expect(incompleteFields(null)).toEqual(['departure', 'distance', 'origin', 'destination']);
  });
});
