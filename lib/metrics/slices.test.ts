import { describe, expect, it } from 'vitest';
import { createRandom } from '../util/random.ts';
import { metricSet } from './classification.ts';
import { busiestOrigins, distanceBand, flightSliceNames, hourBand, sliceMetrics } from './slices.ts';

describe('bands', () => {
  it('puts hours into four six-hour bands, fractional hours by their whole hour', () => {
    expect([0, 5.99, 6, 11.5, 12, 17.98, 18, 23.99].map(hourBand)).toEqual([
      '00-05',
      '00-05',
      '06-11',
      '06-11',
      '12-17',
      '12-17',
      '18-23',
      '18-23',
    ]);
    expect(() => hourBand(24)).toThrow('hour must be in [0, 24), got 24');
  });

  it('puts distances into bands with inclusive lower edges', () => {
    expect([0, 499, 500, 999, 1000, 1999, 2000, 4962].map(distanceBand)).toEqual([
      '0-499',
      '0-499',
      '500-999',
      '500-999',
      '1000-1999',
      '1000-1999',
      '2000+',
      '2000+',
    ]);
    expect(() => distanceBand(-1)).toThrow('distance must be a non-negative number of miles, got -1');
  });

  it('names the slices of a flight, with its origin only when it is a hub', () => {
    const hubs = new Set(['ORD']);
    expect(flightSliceNames('ORD', 17.5, 740, hubs)).toEqual(['hour=12-17', 'distance=500-999', 'origin=ORD']);
    expect(flightSliceNames('BOI', 6, 2100, hubs)).toEqual(['hour=06-11', 'distance=2000+']);
  });
});

describe('sliceMetrics', () => {
  const n = 2000;
  const random = createRandom(4);
  const labels = Uint8Array.from({ length: n }, () => (random() < 0.25 ? 1 : 0));
  const scores = Float64Array.from(labels, (y) => Math.min(1, random() * 0.7 + y * 0.3));
  const group = (row: number) => (row % 10 === 0 ? 'rare' : row % 2 === 0 ? 'even' : 'odd');

  it('computes each slice on its own rows, sorted by name, skipping small slices', () => {
    const slices = sliceMetrics(labels, scores, (row) => [`parity=${group(row)}`, 'all', 'all'], { minRows: 300 });
    expect(slices.map((s) => s.slice)).toEqual(['all', 'parity=even', 'parity=odd']);
    expect(slices[0].metrics).toEqual(metricSet(labels, scores));
    const odd = Array.from({ length: n }, (_, i) => i).filter((i) => group(i) === 'odd');
    expect(slices[2].metrics).toEqual(
      metricSet(
        Uint8Array.from(odd, (i) => labels[i]),
        Float64Array.from(odd, (i) => scores[i]),
      ),
    );
    expect(slices[2].metrics.rows).toBe(1000);
  });

  it('keeps slices of at least 200 rows by default', () => {
    expect(sliceMetrics(labels, scores, (row) => [group(row)]).map((s) => s.slice)).toEqual(['even', 'odd', 'rare']);
  });
});

describe('busiestOrigins', () => {
  it('ranks airports by departures, ties by code', () => {
    const airports = ['ATL', 'BOS', 'DEN', 'ORD'];
    expect(busiestOrigins(Uint16Array.from([3, 3, 1, 2, 2, 0, 3]), airports, 3)).toEqual(['ORD', 'DEN', 'ATL']);
    expect(busiestOrigins([1], airports)).toEqual(['BOS']);
    expect(() => busiestOrigins([7], airports)).toThrow('originCodes[0] is 7, but there are 4 airports');
  });
});
