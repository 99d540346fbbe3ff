import { beforeAll, describe, expect, it } from 'vitest';
import { type FlightTable, loadFlights, rawFlightAt, selectWindow } from '../data/flights.ts';
import { encodeFeatures, toModelInputs } from '../features/flight-features.ts';
import { buildSplit, type Split } from './dataset.ts';

let table: FlightTable;
let split: Split;

beforeAll(async () => {
  table = await loadFlights();
  split = buildSplit(table, {
    train: selectWindow(table, '2001-03-01', '2001-03-15'),
    validation: selectWindow(table, '2001-03-15', '2001-03-22'),
    evaluation: [selectWindow(table, '2001-03-22', '2001-03-29')],
  });
});

describe('buildSplit', () => {
  it('gives a raw flight the identical feature vector on the training path and the serving path', () => {
    const evaluation = split.evaluation[0];
    const start = selectWindow(table, '2001-03-22', '2001-03-29').start;
    const step = Math.floor(evaluation.rows / 500);
    const flights = Array.from({ length: 500 }, (_, i) => rawFlightAt(table, start + i * step));
    const serving = encodeFeatures(toModelInputs(flights), split.spec);
    const cols = split.spec.featureNames.length;
    for (let i = 0; i < flights.length; i++) {
      const training = evaluation.values.subarray(i * step * cols, (i * step + 1) * cols);
      expect(Array.from(serving.subarray(i * cols, (i + 1) * cols))).toEqual(Array.from(training));
    }
  });

  it('uses out-of-fold rates for training rows, so a row never sees its own label', () => {
    const rateColumn = split.spec.featureNames.indexOf('route_delay_rate');
    const { train } = split;
    // A route flown once in the window: its out-of-fold rate is the prior, not its own label.
    const routeCounts = new Map<number, number>();
    const start = selectWindow(table, '2001-03-01', '2001-03-15').start;
    for (let r = 0; r < train.rows; r++) {
      const key = table.origin[start + r] * 1000 + table.destination[start + r];
      routeCounts.set(key, (routeCounts.get(key) ?? 0) + 1);
    }
    const prior = split.spec.lookups.find((l) => l.name === 'route_delay_rate')!.defaultValue;
    let checked = 0;
    for (let r = 0; r < train.rows && checked < 20; r++) {
      const key = table.origin[start + r] * 1000 + table.destination[start + r];
      if (routeCounts.get(key) === 1) {
        expect(train.values[r * train.cols + rateColumn]).toBe(prior);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('codes unknown airports as -1 and gives them the prior rate', () => {
    const inputs = toModelInputs([{ departure: '2001-03-25T08:00', distance: 300, origin: 'ZZZ', destination: 'ORD' }]);
    const vector = encodeFeatures(inputs, split.spec);
    const names = split.spec.featureNames;
    expect(vector[names.indexOf('origin_code')]).toBe(-1);
    const prior = split.spec.lookups.find((l) => l.name === 'origin_delay_rate')!.defaultValue;
    expect(vector[names.indexOf('origin_delay_rate')]).toBe(prior);
    expect(vector[names.indexOf('destination_code')]).toBeGreaterThanOrEqual(0);
  });

  it('labels a flight delayed when it left more than 15 minutes late', () => {
    const start = selectWindow(table, '2001-03-22', '2001-03-29').start;
    const evaluation = split.evaluation[0];
    for (let r = 0; r < 1000; r++) expect(evaluation.labels[r]).toBe(table.delay[start + r] > 15 ? 1 : 0);
  });
});
