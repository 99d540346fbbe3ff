/**
 * The ONNX artifact against the TypeScript reference on real flights: the same feature vectors as
 * the training matrices, the same probabilities as the GbdtModel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlightTable, loadFlights, rawFlightAt, selectWindow } from '../data/flights.ts';
import { encodeFeatures, toModelInputs } from '../features/flight-features.ts';
import type { ModelInputs, RawFlight } from '../features/spec.ts';
import type { Matrix } from '../ml/matrix.ts';
import { trainGbdt } from '../ml/gbdt/booster.ts';
import { type GbdtModel, type Tree, predictProba } from '../ml/gbdt/model.ts';
import { buildSplit, type Split } from '../training/dataset.ts';
import { createRandom } from '../util/random.ts';
import { exportGbdtToOnnx } from './export-gbdt.ts';
import { loadOnnxScorer, type OnnxScorer, readModelSchema } from './runtime.ts';

/**
 * A seeded random ensemble: splits on random features at thresholds taken from real training
 * values (so some rows sit exactly on a threshold and exercise x < t versus x <= t).
 */
function randomEnsemble(train: Matrix, trees: number, maxDepth: number, seed: number): GbdtModel {
  const random = createRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const build = (): Tree => {
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const grow = (depth: number): number => {
      const node = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(0);
      tree.right.push(0);
      tree.value.push(0);
      if (depth === maxDepth || (depth > 1 && random() < 0.15)) {
        tree.value[node] = (random() - 0.5) * 0.4;
        return node;
      }
      const feature = pick(train.cols);
      tree.feature[node] = feature;
      tree.threshold[node] = Math.fround(train.values[pick(train.rows) * train.cols + feature]);
      tree.left[node] = grow(depth + 1);
      tree.right[node] = grow(depth + 1);
      return node;
    };
    grow(0);
    return tree;
  };
  let positives = 0;
  for (let i = 0; i < train.rows; i++) positives += train.labels[i];
  const prior = positives / train.rows;
  return {
    kind: 'gbdt',
    baseScore: Math.log(prior / (1 - prior)),
    trees: Array.from({ length: trees }, build),
    featureNames: train.featureNames,
  };
}

let table: FlightTable;
let split: Split;
/** Trained by the project's booster on real rows. */
let model: GbdtModel;
/** Random splits at real feature values: many rows sit exactly on a threshold. */
let randomModel: GbdtModel;
let bytes: Uint8Array;
let scorer: OnnxScorer;
let randomScorer: OnnxScorer;
let flights: RawFlight[];
let inputs: ModelInputs;

beforeAll(async () => {
  table = await loadFlights();
  split = buildSplit(table, {
    train: selectWindow(table, '2001-03-01', '2001-03-15'),
    validation: selectWindow(table, '2001-03-15', '2001-03-22'),
    evaluation: [selectWindow(table, '2001-03-22', '2001-03-29')],
  });
  // A slice of the training window keeps the booster at about a second.
  const rows = 60_000;
  const { train } = split;
  const trainSlice = {
    ...train,
    rows,
    values: train.values.subarray(0, rows * train.cols),
    labels: train.labels.subarray(0, rows),
  };
  const trained = await trainGbdt(trainSlice, null, {
    trees: 30,
    maxLeaves: 15,
    maxDepth: 6,
    threads: 1,
    earlyStoppingRounds: 0,
    binSampleRows: 20_000,
    seed: 3,
  });
  model = trained.model;
  randomModel = randomEnsemble(split.train, 40, 6, 17);
  bytes = exportGbdtToOnnx(model, split.spec, { version: 'test-1', description: 'small booster model' });
  scorer = await loadOnnxScorer(bytes);
  randomScorer = await loadOnnxScorer(exportGbdtToOnnx(randomModel, split.spec, { version: 'test-random' }));
  const range = selectWindow(table, '2001-03-22', '2001-03-29');
  flights = [];
  for (let row = range.start; row < range.end; row++) flights.push(rawFlightAt(table, row));
  inputs = toModelInputs(flights);
});

afterAll(async () => {
  await scorer?.release();
  await randomScorer?.release();
});

describe('exportGbdtToOnnx on real flights', () => {
  it('gives the probabilities of the TypeScript model to 1e-5 on every held-out flight', async () => {
    const evaluation = split.evaluation[0];
    expect(evaluation.rows).toBeGreaterThan(10_000);
    for (const [name, tsModel, onnxScorer] of [
      ['booster', model, scorer],
      ['random', randomModel, randomScorer],
    ] as const) {
      const onnx = await onnxScorer.score(inputs);
      const reference = predictProba(tsModel, evaluation.values, evaluation.cols);
      expect(onnx.length).toBe(evaluation.rows);
      let max = 0;
      for (let i = 0; i < onnx.length; i++) max = Math.max(max, Math.abs(onnx[i] - reference[i]));
      console.log(
        `ORT vs TypeScript (${name}, ${tsModel.trees.length} trees): max |Δp| ${max.toExponential(2)} over ${onnx.length} evaluation flights`,
      );
      expect(max).toBeLessThan(1e-5);
    }
  });

  it('computes the exact feature vectors of encodeFeatures and of the training-path matrix', async () => {
    const evaluation = split.evaluation[0];
    const graph = await scorer.features(inputs);
    const serving = encodeFeatures(inputs, split.spec);
    expect(graph.length).toBe(evaluation.values.length);
    let againstServing = 0;
    let againstTraining = 0;
    let firstDifference = '';
    for (let i = 0; i < graph.length; i++) {
      // Object.is: bit-for-bit, so -0 and 0 or a NaN would show.
      if (!Object.is(graph[i], serving[i])) againstServing++;
      if (!Object.is(graph[i], evaluation.values[i])) {
        againstTraining++;
        firstDifference ||= `row ${Math.floor(i / evaluation.cols)} ${split.spec.featureNames[i % evaluation.cols]}: ${graph[i]} vs ${evaluation.values[i]}`;
      }
    }
    expect(firstDifference).toBe('');
    expect(againstServing).toBe(0);
    expect(againstTraining).toBe(0);
  });

  it('sends unknown airports and routes to the lookup defaults', async () => {
    const unknown: RawFlight[] = [
      { departure: '2001-03-25T08:00', distance: 300, origin: 'ZZZ', destination: 'ORD' },
      { departure: '2001-03-25T23:59', distance: 4962, origin: 'QQQ', destination: 'XXX' },
      { departure: '2001-03-26T00:00', distance: 0, origin: '', destination: 'ÖÄÜ' },
    ];
    const unknownInputs = toModelInputs(unknown);
    const graph = await scorer.features(unknownInputs);
    const cols = split.spec.featureNames.length;
    expect(Array.from(graph)).toEqual(Array.from(encodeFeatures(unknownInputs, split.spec)));
    const numeric = split.spec.numericInputs.length;
    split.spec.lookups.forEach((lookup, l) => {
      const column = numeric + l;
      // Row 1 has no known key at all; row 0 only its destination (and nothing keyed by ZZZ).
      expect(graph[cols + column]).toBe(Math.fround(lookup.defaultValue));
      if (lookup.input !== 'destination' && lookup.input !== 'destination_hour')
        expect(graph[column]).toBe(Math.fround(lookup.defaultValue));
    });
    expect(graph[split.spec.featureNames.indexOf('origin_code')]).toBe(-1);
    const probabilities = await scorer.score(unknownInputs);
    const reference = predictProba(model, encodeFeatures(unknownInputs, split.spec), cols);
    for (let i = 0; i < unknown.length; i++) expect(Math.abs(probabilities[i] - reference[i])).toBeLessThan(1e-6);
  });

  it('is byte-deterministic and records version, features and producer', () => {
    const again = exportGbdtToOnnx(structuredClone(model), structuredClone(split.spec), {
      version: 'test-1',
      description: 'small booster model',
    });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    const otherVersion = exportGbdtToOnnx(model, split.spec, { version: 'test-2', description: 'small booster model' });
    expect(Buffer.from(otherVersion).equals(Buffer.from(bytes))).toBe(false);
    const schema = readModelSchema(bytes);
    expect(schema.producer).toBe('taxiway');
    expect(schema.version).toBe('test-1');
    expect(schema.featureNames).toEqual(split.spec.featureNames);
    expect(schema.numericInputs).toEqual(split.spec.numericInputs);
    expect(schema.inputs.map((i) => i.name)).toEqual(['numeric', ...split.spec.stringInputs]);
    expect(schema.outputs).toEqual([
      { name: 'features', type: 'float32', shape: ['N', split.spec.featureNames.length] },
      { name: 'probability', type: 'float32', shape: ['N', 1] },
    ]);
    expect(scorer.inputNames).toEqual(['numeric', ...split.spec.stringInputs]);
    expect(scorer.outputNames).toEqual(['features', 'probability']);
  });

  it('scores an empty batch and a single flight', async () => {
    expect((await scorer.score(toModelInputs([]))).length).toBe(0);
    const one = await scorer.score(toModelInputs([flights[123]]));
    const reference = predictProba(
      model,
      split.evaluation[0].values.subarray(123 * split.evaluation[0].cols, 124 * split.evaluation[0].cols),
      split.evaluation[0].cols,
    );
    expect(Math.abs(one[0] - reference[0])).toBeLessThan(1e-6);
  });
});
