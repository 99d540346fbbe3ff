import { describe, expect, it } from 'vitest';
import { NUMERIC_INPUTS, STRING_INPUTS, encodeFeatures, toModelInputs } from '../features/flight-features.ts';
import type { FeatureSpec } from '../features/spec.ts';
import { type GbdtModel, predictProba } from '../ml/gbdt/model.ts';
import { exportGbdtToOnnx } from './export-gbdt.ts';
import { contractProblems, inputSchemaDifferences, loadOnnxScorer, readModelSchema } from './runtime.ts';

/** A tiny spec over the real input contract, with one lookup per string input. */
function tinySpec(
  stringInputs: readonly string[] = STRING_INPUTS,
  numericInputs: readonly string[] = NUMERIC_INPUTS,
): FeatureSpec {
  const lookups = stringInputs.map((input, i) => ({
    name: `${input}_rate`,
    input,
    keys: ['A', 'ORD', 'ORD-ATL'],
    values: [0.125, 0.25 + i, 0.5],
    defaultValue: -1,
  }));
  return {
    version: 1,
    numericInputs: [...numericInputs],
    stringInputs: [...stringInputs],
    lookups,
    featureNames: [...numericInputs, ...lookups.map((l) => l.name)],
  };
}

function tinyModel(spec: FeatureSpec): GbdtModel {
  // Root splits on origin_rate (feature numeric + 0), then on hour (feature 0).
  const originRate = spec.numericInputs.length;
  return {
    kind: 'gbdt',
    baseScore: -1.25,
    featureNames: spec.featureNames,
    trees: [
      {
        feature: [originRate, -1, 0, -1, -1],
        threshold: [0.25, 0, 12, 0, 0],
        left: [1, 0, 3, 0, 0],
        right: [2, 0, 4, 0, 0],
        value: [0, -0.5, 0, 0.25, 0.75],
      },
      { feature: [-1], threshold: [0], left: [0], right: [0], value: [0.1] },
    ],
  };
}

const flights = [
  { departure: '2001-03-25T08:00', distance: 300, origin: 'ORD', destination: 'ATL' },
  { departure: '2001-03-25T17:30', distance: 1200, origin: 'ORD', destination: 'ATL' },
  { departure: '2001-03-25T17:30', distance: 1200, origin: 'ZZZ', destination: 'ATL' },
];

describe('loadOnnxScorer', () => {
  it('scores a hand-built model like the TypeScript reference', async () => {
    const spec = tinySpec();
    const model = tinyModel(spec);
    const scorer = await loadOnnxScorer(exportGbdtToOnnx(model, spec, { version: 'tiny' }), { intraOpThreads: 2 });
    try {
      const inputs = toModelInputs(flights);
      const features = encodeFeatures(inputs, spec);
      expect(Array.from(await scorer.features(inputs))).toEqual(Array.from(features));
      const probabilities = await scorer.score(inputs);
      const expected = predictProba(model, features, spec.featureNames.length);
      // origin_rate 1.25 for ORD → right; hour 8 < 12 → 0.25; hour 17.5 → 0.75; ZZZ → -1 → left → -0.5.
      expect(Array.from(expected, (p) => Math.log(p / (1 - p)))).toEqual(
        [-1.25 + 0.25 + 0.1, -1.25 + 0.75 + 0.1, -1.25 - 0.5 + 0.1].map((x) => expect.closeTo(x, 12)),
      );
      probabilities.forEach((p, i) => expect(Math.abs(p - expected[i])).toBeLessThan(1e-7));
    } finally {
      await scorer.release();
      await scorer.release(); // twice is harmless
    }
  });

  it('refuses a model whose inputs do not match the feature contract, naming what is missing', async () => {
    const spec = tinySpec(STRING_INPUTS.filter((name) => name !== 'route'));
    const bytes = exportGbdtToOnnx(tinyModel(spec), spec, { version: 'no-route' });
    await expect(loadOnnxScorer(bytes)).rejects.toThrow(
      'ONNX model version no-route does not fit the feature contract: missing string input "route" (string [N, 1])',
    );
    const narrow = tinySpec(STRING_INPUTS, ['hour', 'weekday']);
    await expect(loadOnnxScorer(exportGbdtToOnnx(tinyModel(narrow), narrow, { version: 'narrow' }))).rejects.toThrow(
      'input "numeric" is float32 [N, 2], expected float32 [N, 4]',
    );
    const extra = tinySpec([...STRING_INPUTS, 'carrier']);
    await expect(loadOnnxScorer(exportGbdtToOnnx(tinyModel(extra), extra, { version: 'extra' }))).rejects.toThrow(
      'unexpected input "carrier"',
    );
  });

  it('accepts a custom contract', async () => {
    const spec = tinySpec(['origin'], ['hour']);
    const scorer = await loadOnnxScorer(exportGbdtToOnnx(tinyModel(spec), spec, { version: 'custom' }), {
      contract: { numericInputs: ['hour'], stringInputs: ['origin'] },
    });
    const probabilities = await scorer.score({
      rows: 2,
      numeric: Float32Array.from([8, 20]),
      strings: { origin: ['ORD', 'ZZZ'] },
    });
    expect(probabilities.length).toBe(2);
    await expect(
      scorer.score({ rows: 2, numeric: Float32Array.from([8]), strings: { origin: ['ORD', 'ZZZ'] } }),
    ).rejects.toThrow('model inputs: numeric has 1 values, expected 2 rows × 1 columns');
    await expect(scorer.score({ rows: 2, numeric: Float32Array.from([8, 9]), strings: {} })).rejects.toThrow(
      'model inputs: missing string input "origin"',
    );
    await scorer.release();
  });

  it('refuses corrupt bytes with a clear error', async () => {
    const spec = tinySpec();
    const bytes = exportGbdtToOnnx(tinyModel(spec), spec, { version: 'tiny' });
    await expect(loadOnnxScorer(bytes.subarray(0, Math.floor(bytes.length / 2)))).rejects.toThrow(
      /^ONNX model \(\d+ bytes\) is corrupt: cannot parse it as an ONNX ModelProto/,
    );
    await expect(loadOnnxScorer(new TextEncoder().encode('this is not an onnx model at all'))).rejects.toThrow(
      'ONNX model (32 bytes) is corrupt',
    );
    await expect(loadOnnxScorer(new Uint8Array(0))).rejects.toThrow('ONNX model bytes are empty');
    const flipped = bytes.slice();
    for (let i = 0; i < flipped.length; i += 7) flipped[i] ^= 0xa5;
    await expect(loadOnnxScorer(flipped)).rejects.toThrow(/ONNX/);
  });
});

describe('model schemas', () => {
  it('reports input differences between two models, ignoring internal feature changes', () => {
    const spec = tinySpec();
    const base = readModelSchema(exportGbdtToOnnx(tinyModel(spec), spec, { version: 'a' }));
    expect(contractProblems(base)).toEqual([]);
    // Different lookup tables but the same inputs: compatible.
    const retuned = { ...spec, lookups: spec.lookups.map((l) => ({ ...l, values: l.values.map((v) => v + 1) })) };
    expect(
      inputSchemaDifferences(base, readModelSchema(exportGbdtToOnnx(tinyModel(retuned), retuned, { version: 'b' }))),
    ).toEqual([]);
    const fewer = tinySpec(['origin', 'destination']);
    expect(
      inputSchemaDifferences(base, readModelSchema(exportGbdtToOnnx(tinyModel(fewer), fewer, { version: 'c' }))),
    ).toEqual([
      'input "route" (string [N, 1]) was removed',
      'input "origin_hour" (string [N, 1]) was removed',
      'input "destination_hour" (string [N, 1]) was removed',
    ]);
    const renamed = tinySpec(STRING_INPUTS, ['hour', 'weekday', 'day_of_month', 'miles']);
    expect(
      inputSchemaDifferences(base, readModelSchema(exportGbdtToOnnx(tinyModel(renamed), renamed, { version: 'd' }))),
    ).toEqual([
      'numeric columns changed from ["hour","weekday","day_of_month","distance"] to ["hour","weekday","day_of_month","miles"]',
    ]);
  });
});

describe('export validation', () => {
  const spec = tinySpec();

  it('rejects a model trained on other features', () => {
    const model = { ...tinyModel(spec), featureNames: [...spec.featureNames].reverse() };
    expect(() => exportGbdtToOnnx(model, spec, { version: 'x' })).toThrow(
      'model features do not match the feature spec: position 0 is "destination_hour_rate", expected "hour"',
    );
  });

  it('rejects thresholds that float32 would round and broken trees', () => {
    const model = tinyModel(spec);
    model.trees[0].threshold[2] = 0.1;
    expect(() => exportGbdtToOnnx(model, spec, { version: 'x' })).toThrow(
      'tree 0 node 2 threshold 0.1 is not float32-representable',
    );
    const cyclic = tinyModel(spec);
    cyclic.trees[0].left[2] = 2;
    expect(() => exportGbdtToOnnx(cyclic, spec, { version: 'x' })).toThrow('tree 0 node 2 is reached twice');
    const outOfRange = tinyModel(spec);
    outOfRange.trees[0].feature[0] = 99;
    expect(() => exportGbdtToOnnx(outOfRange, spec, { version: 'x' })).toThrow(
      'tree 0 node 0 splits on feature 99, but there are 9 features',
    );
  });

  it('rejects inconsistent lookups', () => {
    const broken = { ...spec, lookups: spec.lookups.map((l, i) => (i === 1 ? { ...l, keys: ['A', 'A', 'B'] } : l)) };
    expect(() => exportGbdtToOnnx(tinyModel(broken), broken, { version: 'x' })).toThrow(
      'lookup "destination_rate" has duplicate key "A"',
    );
    const misnamed = { ...spec, lookups: spec.lookups.map((l, i) => (i === 0 ? { ...l, input: 'carrier' } : l)) };
    expect(() => exportGbdtToOnnx(tinyModel(misnamed), misnamed, { version: 'x' })).toThrow(
      'lookup "origin_rate" reads string input "carrier", which is not in stringInputs',
    );
    expect(() => exportGbdtToOnnx(tinyModel(spec), spec, { version: '' })).toThrow('meta.version is empty');
  });

  it('exports a model without trees as its base score', async () => {
    const model = { ...tinyModel(spec), trees: [] };
    const scorer = await loadOnnxScorer(exportGbdtToOnnx(model, spec, { version: 'empty' }));
    const probabilities = await scorer.score(toModelInputs(flights));
    probabilities.forEach((p) => expect(p).toBeCloseTo(1 / (1 + Math.exp(1.25)), 6));
    await scorer.release();
  });
});
