import { describe, expect, it } from 'vitest';
import type { FlightTable } from '../lib/data/flights.ts';
import { minutesFromIso } from '../lib/data/flights.ts';
import type { FeatureSpec } from '../lib/features/spec.ts';
import { exportGbdtToOnnx } from '../lib/onnx/export-gbdt.ts';
import { knownKeys } from '../lib/onnx/graph.ts';
import { prepareEvaluation } from './run-gate.ts';

function table(
  rows: { at: string; delay: number; distance: number; origin: number; destination: number }[],
): FlightTable {
  return {
    rows: rows.length,
    departure: Int32Array.from(rows.map((r) => minutesFromIso(r.at))),
    delay: Int32Array.from(rows.map((r) => r.delay)),
    distance: Int32Array.from(rows.map((r) => r.distance)),
    origin: Uint16Array.from(rows.map((r) => r.origin)),
    destination: Uint16Array.from(rows.map((r) => r.destination)),
    airports: ['', 'ATL', 'NEW', 'ORD'],
    sourceSha256: 'a'.repeat(64),
  };
}

const spec: FeatureSpec = {
  version: 1,
  numericInputs: ['hour'],
  stringInputs: ['origin', 'destination', 'route'],
  lookups: [
    { name: 'origin_code', input: 'origin', keys: ['ATL', 'ORD'], values: [0, 1], defaultValue: -1 },
    { name: 'destination_code', input: 'destination', keys: ['ATL', 'ORD'], values: [0, 1], defaultValue: -1 },
    { name: 'route_delay_rate', input: 'route', keys: ['ORD-ATL'], values: [0.2], defaultValue: 0.1 },
  ],
  featureNames: ['hour', 'origin_code', 'destination_code', 'route_delay_rate'],
};
/** The gate reads the known keys from the artifact, as it does for a real candidate. */
const artifact = exportGbdtToOnnx(
  {
    kind: 'gbdt',
    baseScore: 0,
    featureNames: spec.featureNames,
    trees: [{ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0] }],
  },
  spec,
  { version: 'test' },
);

describe('prepareEvaluation', () => {
  it('builds raw flights, labels, slices and data-check counts from table rows', () => {
    const t = table([
      { at: '2001-05-01T06:30', delay: 20, distance: 600, origin: 3, destination: 1 }, // ORD-ATL, delayed
      { at: '2001-05-01T06:30', delay: 0, distance: 2500, origin: 1, destination: 3 }, // ATL-ORD: unseen route
      { at: '2001-05-01T19:05', delay: 16, distance: 300, origin: 2, destination: 1 }, // NEW: unseen airport and route
      { at: '2001-05-01T20:00', delay: 0, distance: -1, origin: 3, destination: 1 }, // malformed distance
      { at: '2001-05-01T21:00', delay: 0, distance: 100, origin: 0, destination: 1 }, // missing origin code
    ]);
    const p = prepareEvaluation(t, { start: 0, end: 5 }, knownKeys(artifact), new Set(['ORD']));
    expect(p.flights).toEqual([
      { departure: '2001-05-01T06:30', distance: 600, origin: 'ORD', destination: 'ATL' },
      { departure: '2001-05-01T06:30', distance: 2500, origin: 'ATL', destination: 'ORD' },
      { departure: '2001-05-01T19:05', distance: 300, origin: 'NEW', destination: 'ATL' },
    ]);
    expect(Array.from(p.labels)).toEqual([1, 0, 1]);
    expect(p.slices).toEqual([
      ['hour=06-11', 'distance=500-999', 'origin=ORD'],
      ['hour=06-11', 'distance=2000+'],
      ['hour=18-23', 'distance=0-499'],
    ]);
    expect(p).toMatchObject({ nullRows: 2, unseenAirportRows: 1, unseenRouteRows: 2 });
  });
});
