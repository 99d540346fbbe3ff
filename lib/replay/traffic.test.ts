import { describe, expect, it } from 'vitest';
import { type FlightTable, minutesFromIso } from '../data/flights.ts';
import { applyChanges, parseTrafficChange, selectTraffic, type ReplayFlight } from './traffic.ts';

/** 30 flights, one every 8 hours from 2001-06-01, alternating origins ORD / ATL / LGA. */
function table(): FlightTable {
  const airports = ['ATL', 'LGA', 'ORD'];
  const rows = 30;
  const t0 = minutesFromIso('2001-06-01T00:10');
  return {
    rows,
    departure: Int32Array.from({ length: rows }, (_, i) => t0 + i * 480),
    delay: Int32Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? 30 : -2)),
    distance: Int32Array.from({ length: rows }, (_, i) => 100 + i),
    origin: Uint16Array.from({ length: rows }, (_, i) => [2, 0, 1][i % 3]),
    destination: Uint16Array.from({ length: rows }, (_, i) => [1, 2, 0][i % 3]),
    airports,
    sourceSha256: 'test',
  };
}

const flight: ReplayFlight = {
  departure: '2001-06-04T17:35',
  distance: 733,
  origin: 'ORD',
  destination: 'LGA',
  delayMinutes: 20,
};

describe('selectTraffic', () => {
  it('selects the flights departing in the window, in departure order or a seeded shuffle', () => {
    const inOrder = selectTraffic(table(), { week: '2001-06-04', days: 2, order: 'time' });
    // Day 3 (2001-06-04) starts at row 9 (9 × 8 h = 72 h); two days hold 6 flights.
    expect(inOrder.inWindow).toBe(6);
    expect(inOrder.flights.map((f) => f.departure)).toEqual([
      '2001-06-04T00:10',
      '2001-06-04T08:10',
      '2001-06-04T16:10',
      '2001-06-05T00:10',
      '2001-06-05T08:10',
      '2001-06-05T16:10',
    ]);
    expect(inOrder.flights[0]).toEqual({
      departure: '2001-06-04T00:10',
      distance: 109,
      origin: 'ORD',
      destination: 'LGA',
      delayMinutes: -2,
    });
    const a = selectTraffic(table(), { week: '2001-06-01', days: 10, seed: 7 });
    const b = selectTraffic(table(), { week: '2001-06-01', days: 10, seed: 7 });
    const c = selectTraffic(table(), { week: '2001-06-01', days: 10, seed: 8 });
    expect(a.flights).toEqual(b.flights);
    expect(a.flights).not.toEqual(c.flights);
    expect(a.flights.map((f) => f.departure).sort()).toEqual(
      selectTraffic(table(), { week: '2001-06-01', days: 10, order: 'time' }).flights.map((f) => f.departure),
    );
  });

  it('applies the limit after the changes, so a dropped feed does not shorten the run', () => {
    const out = selectTraffic(table(), {
      week: '2001-06-01',
      days: 10,
      order: 'time',
      limit: 12,
      changes: [parseTrafficChange('drop-origin:ORD')],
    });
    expect(out.flights).toHaveLength(12);
    expect(out.flights.every((f) => f.origin !== 'ORD')).toBe(true);
    expect(out.removed).toBe(6);
  });

  it('names the data range when the window is empty', () => {
    expect(() => selectTraffic(table(), { week: '2002-01-01' })).toThrow(/covers 2001-06-01 to 2001-06-10/);
    expect(() => selectTraffic(table(), { week: 'June' })).toThrow(/YYYY-MM-DD/);
  });
});

describe('traffic changes', () => {
  it('sends distance in kilometres', () => {
    expect(applyChanges(flight, [parseTrafficChange('kilometres')])?.distance).toBe(1180);
  });

  it('drops one origin and leaves the others alone', () => {
    const drop = [parseTrafficChange('drop-origin:ORD')];
    expect(applyChanges(flight, drop)).toBeNull();
    expect(applyChanges({ ...flight, origin: 'ATL' }, drop)).toEqual({ ...flight, origin: 'ATL' });
  });

  it('sticks a field of one origin at a constant', () => {
    expect(applyChanges(flight, [parseTrafficChange('stuck:ORD:time=00:00')])?.departure).toBe('2001-06-04T00:00');
    expect(applyChanges(flight, [parseTrafficChange('stuck:ORD:distance=1')])?.distance).toBe(1);
    expect(applyChanges(flight, [parseTrafficChange('stuck:ORD:destination=ATL')])?.destination).toBe('ATL');
    expect(applyChanges({ ...flight, origin: 'SFO' }, [parseTrafficChange('stuck:ORD:distance=1')])?.distance).toBe(
      733,
    );
  });

  it('rejects malformed changes with a message that names them', () => {
    expect(() => parseTrafficChange('miles')).toThrow(/"miles" is not one of/);
    expect(() => parseTrafficChange('drop-origin:chicago')).toThrow(/"chicago" is not an airport code/);
    expect(() => parseTrafficChange('stuck:ORD:hour=3')).toThrow(/field must be one of distance, time, destination/);
    expect(() => parseTrafficChange('stuck:ORD:time=25:00')).toThrow(/time must be HH:MM/);
    expect(() => parseTrafficChange('stuck:ORD:distance=0')).toThrow(/1\.\.10000/);
  });
});
