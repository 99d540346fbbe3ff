/**
 * One training run: data window → features → GBDT (+ logistic baseline) → ONNX artifact →
 * metrics measured on the artifact itself in ONNX Runtime → model card.
 *
 * Same code + data + asOf + params + seed ⇒ byte-identical model.onnx: nothing random is unseeded,
 * and nothing time- or machine-dependent goes into the artifact (timings live only in the card).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DATA_FILE_LABEL,
  type FlightTable,
  LABEL_DEFINITION,
  loadFlights,
  rawFlightAt,
  type RowRange,
  selectWindow,
} from '../data/flights.ts';
import { toModelInputs } from '../features/flight-features.ts';
import type { RawFlight } from '../features/spec.ts';
import { metricSet, alertBudget } from '../metrics/classification.ts';
import { categoricalDistribution, referenceDistribution } from '../metrics/drift.ts';
import { busiestOrigins, flightSliceNames, sliceMetrics } from '../metrics/slices.ts';
import { DEFAULT_GBDT_PARAMS, type GbdtParams, trainGbdt } from '../ml/gbdt/booster.ts';
import { predictProba } from '../ml/gbdt/model.ts';
import { predictLogistic, trainLogistic } from '../ml/logistic.ts';
import type { Matrix } from '../ml/matrix.ts';
import { exportGbdtToOnnx } from '../onnx/export-gbdt.ts';
import { loadOnnxScorer } from '../onnx/runtime.ts';
import {
  CARD_SCHEMA_VERSION,
  cardFeatures,
  type DataWindow,
  type GoldenExample,
  type ModelCardV2,
  type ReferenceDistribution,
} from '../registry/card.ts';
import { parseCard } from '../registry/registry.ts';
import { sha256Hex } from '../util/hash.ts';
import { type ActionsRun, actionsRun, codeVersion } from '../util/run-context.ts';
import { buildSplit, DEFAULT_DATASET_OPTIONS } from './dataset.ts';
import { type RunWindows, runWindows } from './windows.ts';

export const ALERT_BUDGET = 0.2;
const HUB_COUNT = 10;
const GOLDEN_FROM_DATA = 16;

export interface TrainOptions {
  asOf: string;
  outDir: string;
  /** Days of training data before the validation week; default: all data since 2001-01-01. */
  trainDays?: number;
  params?: Partial<GbdtParams>;
  /** Skip the logistic-regression baseline (it is only reported, never deployed). */
  baseline?: boolean;
  log?: (line: string) => void;
  /** Injected for tests and benchmarks; loaded from the cache otherwise. */
  table?: FlightTable;
  /** Where the code lives, for the commit in the card; default the current directory. */
  codeDir?: string;
  run?: ActionsRun;
}

export interface TrainResult {
  card: ModelCardV2;
  modelPath: string;
  cardPath: string;
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings[name] = Math.round(performance.now() - started);
    return result;
  };
  const windows = runWindows(options.asOf, options.trainDays);
  const params: GbdtParams = { ...DEFAULT_GBDT_PARAMS, ...options.params };

  const table = options.table ?? (await timed('loadDataMs', () => loadFlights({ log })));
  const ranges = {
    train: selectWindow(table, windows.train.start, windows.train.end),
    validation: selectWindow(table, windows.validation.start, windows.validation.end),
    evaluation: selectWindow(table, windows.evaluation.start, windows.evaluation.end),
  };
  log(
    `asOf ${windows.asOf}: train ${describe(windows.train, ranges.train)}, validation ${describe(windows.validation, ranges.validation)}, evaluation ${describe(windows.evaluation, ranges.evaluation)}`,
  );
  if (ranges.validation.end <= ranges.validation.start)
    throw new Error(`validation window ${windows.validation.start}..${windows.validation.end} has no flights`);
  if (ranges.evaluation.end <= ranges.evaluation.start)
    throw new Error(`evaluation window ${windows.evaluation.start}..${windows.evaluation.end} has no flights`);

  const split = await timed('featuresMs', () => buildSplit(table, { ...ranges, evaluation: [ranges.evaluation] }));
  const evaluation = split.evaluation[0];
  log(
    `features: ${split.spec.featureNames.length} (${split.spec.featureNames.join(', ')}) in ${(timings.featuresMs / 1000).toFixed(1)} s`,
  );

  log(
    `training GBDT: up to ${params.trees} trees, ${params.maxLeaves} leaves, depth ${params.maxDepth}, learning rate ${params.learningRate}, early stopping on validation ${params.earlyStoppingMetric} (patience ${params.earlyStoppingRounds})`,
  );
  let lastReport = 0;
  const gbdt = await timed('trainMs', () =>
    trainGbdt(split.train, split.validation, params, {
      onProgress: (p) => {
        if (p.elapsedMs - lastReport < 2000 && p.iteration + 1 < params.trees) return;
        lastReport = p.elapsedMs;
        const loss =
          (p.validLoss === undefined ? '' : `, validation log loss ${p.validLoss.toFixed(5)}`) +
          (p.validAuc === undefined ? '' : `, AUC ${p.validAuc.toFixed(4)}`);
        log(`  tree ${p.iteration + 1}/${params.trees}${loss} (${(p.elapsedMs / 1000).toFixed(1)} s)`);
      },
    }),
  );
  log(
    `trained ${gbdt.model.trees.length} trees (best iteration ${gbdt.bestIteration + 1}) in ${(timings.trainMs / 1000).toFixed(1)} s`,
  );

  const version = `${windows.asOf.slice(0, 10)}-${sha256Hex(JSON.stringify({ model: gbdt.model, spec: split.spec })).slice(0, 8)}`;
  const bytes = await timed('exportMs', () =>
    exportGbdtToOnnx(gbdt.model, split.spec, {
      version,
      description: `flight-delay risk, asOf ${windows.asOf}, label ${LABEL_DEFINITION}`,
    }),
  );
  const sha256 = sha256Hex(bytes);

  // Every figure in the card is measured on the artifact as ONNX Runtime runs it.
  const scorer = await loadOnnxScorer(bytes);
  try {
    const evaluationFlights = flightsIn(table, ranges.evaluation);
    const validationFlights = flightsIn(table, ranges.validation);
    const evaluationScores = await timed('scoreMs', () => scorer.score(toModelInputs(evaluationFlights)));
    const validationScores = await scorer.score(toModelInputs(validationFlights));
    const maxDifference = maxAbsDifference(
      evaluationScores,
      predictProba(gbdt.model, evaluation.values, evaluation.cols),
    );
    if (maxDifference > 1e-5)
      throw new Error(`ONNX Runtime disagrees with the TypeScript model by ${maxDifference} on the evaluation week`);

    const threshold = alertBudget(split.validation.labels, validationScores, ALERT_BUDGET).threshold;
    const hubs = new Set(
      busiestOrigins(table.origin.subarray(ranges.train.start, ranges.train.end), table.airports, HUB_COUNT),
    );
    const slicesOf = (row: number) => {
      const flight = evaluationFlights[row];
      return flightSliceNames(flight.origin, Number(flight.departure.slice(11, 13)), flight.distance, hubs);
    };
    const metrics = {
      evaluation: metricSet(evaluation.labels, evaluationScores, ALERT_BUDGET),
      validation: metricSet(split.validation.labels, validationScores, ALERT_BUDGET),
      slices: sliceMetrics(evaluation.labels, evaluationScores, slicesOf),
    };
    log(
      `evaluation week: AUC ${metrics.evaluation.auc.toFixed(4)}, recall@20% ${metrics.evaluation.recallAtBudget.toFixed(4)}, precision@20% ${metrics.evaluation.precisionAtBudget.toFixed(4)}, ECE ${metrics.evaluation.ece.toFixed(4)} (ONNX vs TypeScript max |Δ| ${maxDifference.toExponential(2)})`,
    );

    let baseline: ModelCardV2['baseline'];
    if (options.baseline !== false) {
      const logistic = await timed('baselineMs', () => trainLogistic(split.train, {}));
      baseline = {
        algorithm: 'logistic-regression',
        evaluation: metricSet(evaluation.labels, predictLogistic(logistic, evaluation), ALERT_BUDGET),
      };
      log(
        `baseline logistic regression: AUC ${baseline.evaluation.auc.toFixed(4)}, recall@20% ${baseline.evaluation.recallAtBudget.toFixed(4)}`,
      );
    }

    const goldenFlights = goldenInputs(evaluationFlights);
    const goldenScores = await scorer.score(toModelInputs(goldenFlights));
    const golden: GoldenExample[] = goldenFlights.map((input, i) => ({ input, probability: goldenScores[i] }));

    const code = await codeVersion(options.codeDir ?? process.cwd());
    const card: ModelCardV2 = {
      schemaVersion: CARD_SCHEMA_VERSION,
      name: 'flight-delay',
      version,
      createdAt: new Date().toISOString(),
      artifact: { file: 'model.onnx', sha256, bytes: bytes.byteLength },
      code,
      data: {
        file: DATA_FILE_LABEL,
        sha256: table.sourceSha256,
        asOf: windows.asOf,
        label: LABEL_DEFINITION,
        train: dataWindow(windows.train, split.train),
        validation: dataWindow(windows.validation, split.validation),
        evaluation: dataWindow(windows.evaluation, evaluation),
      },
      algorithm: 'gbdt (taxiway, histogram, leaf-wise) → ONNX TreeEnsembleRegressor + Sigmoid',
      params: {
        ...params,
        trainDays: options.trainDays ?? null,
        dataset: DEFAULT_DATASET_OPTIONS,
        alertBudget: ALERT_BUDGET,
      },
      trees: gbdt.model.trees.length,
      seed: params.seed,
      threshold,
      metrics,
      baseline,
      // The lookup tables are in model.onnx (and rebuilt from the data the card pins by sha256).
      features: cardFeatures(split.spec),
      reference: referenceDistributions(split.train, table, ranges.train),
      golden,
      timings,
      run: options.run ?? actionsRun(),
    };
    const paths = await writeRunOutput(options.outDir, bytes, card);
    log(
      `wrote ${paths.modelPath} (${(bytes.byteLength / 1024).toFixed(0)} KiB, sha256 ${sha256}) and ${paths.cardPath}`,
    );
    return { card, ...paths };
  } finally {
    await scorer.release();
  }
}

function describe(window: { start: string; end: string }, range: RowRange): string {
  return `${window.start.slice(0, 10)}..${window.end.slice(0, 10)} (${(range.end - range.start).toLocaleString('en-US')} flights)`;
}

function flightsIn(table: FlightTable, range: RowRange): RawFlight[] {
  const flights: RawFlight[] = new Array(range.end - range.start);
  for (let row = range.start; row < range.end; row++) flights[row - range.start] = rawFlightAt(table, row);
  return flights;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function dataWindow(window: { start: string; end: string }, matrix: Matrix): DataWindow {
  let positives = 0;
  for (let i = 0; i < matrix.rows; i++) positives += matrix.labels[i];
  return { start: window.start, end: window.end, rows: matrix.rows, positives };
}

/** Evenly spaced real flights of the evaluation week, plus an unknown airport and a long haul. */
function goldenInputs(flights: RawFlight[]): RawFlight[] {
  const step = Math.max(1, Math.floor(flights.length / GOLDEN_FROM_DATA));
  const chosen = [];
  for (let i = 0; i < GOLDEN_FROM_DATA && i * step < flights.length; i++) chosen.push(flights[i * step]);
  const first = chosen[0];
  chosen.push({ ...first, origin: 'ZZZ' }, { ...first, distance: 4962 });
  return chosen;
}

/** Per-feature histograms of the training rows (a fixed sample), the reference for drift (PSI). */
function referenceDistributions(train: Matrix, table: FlightTable, range: RowRange): ReferenceDistribution[] {
  const step = Math.max(1, Math.floor(train.rows / 200_000));
  const sampled = Math.ceil(train.rows / step);
  const references: ReferenceDistribution[] = [];
  for (let c = 0; c < train.cols; c++) {
    const column = new Float64Array(sampled);
    for (let i = 0, r = 0; r < train.rows; r += step, i++) column[i] = train.values[r * train.cols + c];
    references.push(referenceDistribution(train.featureNames[c], column));
  }
  const origins: string[] = [];
  for (let row = range.start; row < range.end; row += step) origins.push(table.airports[table.origin[row]]);
  references.push(categoricalDistribution('origin', origins, 30));
  return references;
}

/** Writes model.onnx and card.json into outDir through temporary names, so a crash leaves no half pair. */
async function writeRunOutput(
  outDir: string,
  bytes: Uint8Array,
  card: ModelCardV2,
): Promise<{ modelPath: string; cardPath: string }> {
  await mkdir(outDir, { recursive: true });
  const modelPath = path.join(outDir, 'model.onnx');
  const cardPath = path.join(outDir, 'card.json');
  const cardText = `${JSON.stringify(card, null, 2)}\n`;
  // Never write a card the registry, gate or service would refuse (e.g. one over the size limit).
  parseCard(cardText, cardPath);
  const suffix = `.tmp-${process.pid}`;
  try {
    await writeFile(modelPath + suffix, bytes);
    await writeFile(cardPath + suffix, cardText);
    await rename(modelPath + suffix, modelPath);
    await rename(cardPath + suffix, cardPath);
  } catch (error) {
    await rm(modelPath + suffix, { force: true });
    await rm(cardPath + suffix, { force: true });
    throw error;
  }
  return { modelPath, cardPath };
}

export type { RunWindows };
