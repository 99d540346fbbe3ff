import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../features/spec.ts';
import type { GbdtModel } from '../ml/gbdt/model.ts';
import type { ModelCardV1 } from '../registry/card.ts';
import { exportGbdtToOnnx } from './export-gbdt.ts';
import { decodeModel, knownKeys, readFeatureSpec } from './graph.ts';

const { onnx } = onnxProto;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const spec: FeatureSpec = {
  version: 1,
  numericInputs: ['hour', 'distance'],
  stringInputs: ['origin', 'route'],
  lookups: [
    { name: 'origin_code', input: 'origin', keys: ['ATL', 'ORD'], values: [1, 0], defaultValue: -1 },
    // Non-ASCII keys and float32 values survive the round trip.
    { name: 'origin_rate', input: 'origin', keys: ['ATL', 'ÖÄÜ'], values: [0.125, Math.fround(0.3)], defaultValue: 0 },
    { name: 'route_rate', input: 'route', keys: ['ORD-ATL'], values: [0.5], defaultValue: Math.fround(0.17) },
  ],
  featureNames: ['hour', 'distance', 'origin_code', 'origin_rate', 'route_rate'],
};

const model: GbdtModel = {
  kind: 'gbdt',
  baseScore: -1,
  featureNames: spec.featureNames,
  trees: [
    { feature: [2, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -0.1, 0.1] },
  ],
};

describe('the feature spec inside an artifact', () => {
  it('reads back exactly the spec it was exported from', () => {
    expect(readFeatureSpec(exportGbdtToOnnx(model, spec, { version: 'x' }))).toEqual(spec);
  });

  it('knows, per string input, the union of the keys of its lookups', () => {
    const known = knownKeys(exportGbdtToOnnx(model, spec, { version: 'x' }));
    expect([...known.keys()]).toEqual(['origin', 'route']);
    expect([...known.get('origin')!].sort()).toEqual(['ATL', 'ORD', 'ÖÄÜ']);
    expect([...known.get('route')!]).toEqual(['ORD-ATL']);
  });

  it('holds what the committed schema-1 cards held, table for table', async () => {
    for (const version of ['2001-04-01-5a98e494', '2001-05-01-732e194c']) {
      const dir = `${ROOT}/models/flight-delay/${version}`;
      const card = JSON.parse(await readFile(`${dir}/card.json`, 'utf8')) as ModelCardV1;
      expect(card.schemaVersion).toBe(1);
      expect(readFeatureSpec(new Uint8Array(await readFile(`${dir}/model.onnx`)))).toEqual(card.features);
    }
  });

  it('decodes only the nodes asked for, and everything else as a full decode does', () => {
    const bytes = exportGbdtToOnnx(model, spec, { version: 'x' });
    const full = onnx.ModelProto.decode(bytes);
    expect(decodeModel(bytes).toJSON()).toEqual(full.toJSON());
    const lookupsOnly = decodeModel(bytes, (op) => op === 'LabelEncoder');
    expect(lookupsOnly.graph!.node!.map((n) => n.name)).toEqual([
      'encode_origin_code',
      'encode_origin_rate',
      'encode_route_rate',
    ]);
    const withoutNodes = decodeModel(bytes, () => false).toJSON();
    expect(withoutNodes).toEqual({ ...full.toJSON(), graph: { ...full.toJSON().graph, node: undefined } });
  });

  it('refuses bytes that are not an ONNX model, saying so', () => {
    expect(() => decodeModel(new Uint8Array(0))).toThrow('ONNX model bytes are empty');
    expect(() => knownKeys(new Uint8Array([0xff, 0xff, 0xff, 0x01]))).toThrow(/ONNX model \(4 bytes\) is corrupt/);
  });
});
