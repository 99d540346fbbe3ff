/**
 * The one way training, the gate and the service run a model artifact: an ONNX Runtime session
 * wrapped so callers pass `ModelInputs` and get float32 arrays back.
 *
 * Before a session is created the artifact's inputs are checked against the feature contract
 * (what `toModelInputs` produces), so a wrong-schema artifact is refused with a message naming
 * what is missing instead of failing on the first request.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { NUMERIC_INPUTS, STRING_INPUTS } from '../features/flight-features.ts';
import type { ModelInputs } from '../features/spec.ts';
import { FEATURES_OUTPUT, METADATA_KEYS, NUMERIC_INPUT, PROBABILITY_OUTPUT } from './export-gbdt.ts';
import { decodeModel, modelMetadata } from './graph.ts';
import { errorMessage } from '../util/errors.ts';

const { onnx } = onnxProto;

export type TensorElement = 'float32' | 'string' | 'other';

export interface TensorSignature {
  name: string;
  type: TensorElement;
  /** Numbers are fixed sizes, strings symbolic dimensions (`N`); null when unknown. */
  shape: (number | string | null)[];
}

/** What a model artifact asks for and returns, read from its bytes without running it. */
export interface ModelSchema {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  /** Column names of the `numeric` input, from the artifact's metadata (null if absent). */
  numericInputs: string[] | null;
  featureNames: string[] | null;
  version: string | null;
  producer: string;
  metadata: Record<string, string>;
}

/** The inputs a caller will feed: names of the numeric columns and the string tensors. */
export interface InputContract {
  numericInputs: readonly string[];
  stringInputs: readonly string[];
}

/** What `toModelInputs` produces, and so what every served artifact must accept. */
export const FLIGHT_INPUT_CONTRACT: InputContract = { numericInputs: NUMERIC_INPUTS, stringInputs: STRING_INPUTS };

export interface ScorerOptions {
  /** Threads inside one operator; 1 (the default) suits a service handling requests concurrently. */
  intraOpThreads?: number;
  /** The inputs the artifact must take; default FLIGHT_INPUT_CONTRACT. */
  contract?: InputContract;
}

export interface OnnxScorer {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly schema: ModelSchema;
  /** Delay probabilities, one per row. */
  score(inputs: ModelInputs): Promise<Float32Array>;
  /** The graph's feature vectors, row-major [rows, features]. */
  features(inputs: ModelInputs): Promise<Float32Array>;
  release(): Promise<void>;
}

const ELEMENT_TYPES: Record<number, TensorElement> = {
  [onnx.TensorProto.DataType.FLOAT]: 'float32',
  [onnx.TensorProto.DataType.STRING]: 'string',
};

/** Reads the input/output signatures and Taxiway metadata of an ONNX model. */
export function readModelSchema(bytes: Uint8Array): ModelSchema {
  // Inputs, outputs and metadata only: the nodes are not decoded.
  const model = decodeModel(bytes, () => false);
  const graph = model.graph!;
  const metadata = modelMetadata(model);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    // Inputs with an initializer are constants with a default, not something a caller feeds.
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(signature),
    outputs: (graph.output ?? []).map(signature),
    numericInputs: jsonList(metadata[METADATA_KEYS.numericInputs]),
    featureNames: jsonList(metadata[METADATA_KEYS.featureNames]),
    version: metadata[METADATA_KEYS.version] ?? null,
    producer: model.producerName,
    metadata,
  };
}

function signature(value: OnnxTypes.IValueInfoProto): TensorSignature {
  const tensor = value.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  return {
    name: value.name ?? '',
    type: ELEMENT_TYPES[tensor?.elemType ?? -1] ?? 'other',
    shape: dims.map((d) =>
      d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : null,
    ),
  };
}

function jsonList(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}

function describe(sig: TensorSignature): string {
  return `${sig.type} [${sig.shape.map((d) => d ?? '?').join(', ')}]`;
}

/**
 * Everything that keeps `schema` from accepting inputs shaped by `contract` and returning the
 * outputs the scorer reads; empty when compatible.
 */
export function contractProblems(schema: ModelSchema, contract: InputContract = FLIGHT_INPUT_CONTRACT): string[] {
  const problems: string[] = [];
  const inputs = new Map(schema.inputs.map((s) => [s.name, s]));
  const batchDim = (d: number | string | null) => d === null || typeof d === 'string';
  const numeric = inputs.get(NUMERIC_INPUT);
  if (!numeric) problems.push(`missing input "${NUMERIC_INPUT}" (float32 [N, ${contract.numericInputs.length}])`);
  else {
    const width = contract.numericInputs.length;
    if (
      numeric.type !== 'float32' ||
      numeric.shape.length !== 2 ||
      !batchDim(numeric.shape[0]) ||
      numeric.shape[1] !== width
    ) {
      problems.push(`input "${NUMERIC_INPUT}" is ${describe(numeric)}, expected float32 [N, ${width}]`);
    }
    if (schema.numericInputs && schema.numericInputs.join('\u0000') !== contract.numericInputs.join('\u0000')) {
      problems.push(
        `input "${NUMERIC_INPUT}" has columns ${JSON.stringify(schema.numericInputs)}, expected ${JSON.stringify(contract.numericInputs)}`,
      );
    }
  }
  for (const name of contract.stringInputs) {
    const input = inputs.get(name);
    if (!input) problems.push(`missing string input "${name}" (string [N, 1])`);
    else if (input.type !== 'string' || input.shape.length !== 2 || !batchDim(input.shape[0]) || input.shape[1] !== 1) {
      problems.push(`input "${name}" is ${describe(input)}, expected string [N, 1]`);
    }
  }
  const known = new Set<string>([NUMERIC_INPUT, ...contract.stringInputs]);
  for (const input of schema.inputs) {
    if (!known.has(input.name))
      problems.push(`unexpected input "${input.name}" (${describe(input)}) that callers do not provide`);
  }
  const outputs = new Map(schema.outputs.map((s) => [s.name, s]));
  for (const name of [PROBABILITY_OUTPUT, FEATURES_OUTPUT]) {
    const output = outputs.get(name);
    if (!output) problems.push(`missing output "${name}"`);
    else if (output.type !== 'float32') problems.push(`output "${name}" is ${describe(output)}, expected float32`);
  }
  return problems;
}

/**
 * Differences between two models' inputs (what a caller must send); empty when a caller of
 * `champion` can call `candidate` unchanged. Feature names may differ: lookups live inside the graph.
 */
export function inputSchemaDifferences(champion: ModelSchema, candidate: ModelSchema): string[] {
  const differences: string[] = [];
  const before = new Map(champion.inputs.map((s) => [s.name, s]));
  const after = new Map(candidate.inputs.map((s) => [s.name, s]));
  for (const [name, sig] of before) {
    const other = after.get(name);
    if (!other) differences.push(`input "${name}" (${describe(sig)}) was removed`);
    else if (describe(other) !== describe(sig))
      differences.push(`input "${name}" changed from ${describe(sig)} to ${describe(other)}`);
  }
  for (const [name, sig] of after) {
    if (!before.has(name)) differences.push(`input "${name}" (${describe(sig)}) was added`);
  }
  const columns = (s: ModelSchema) => JSON.stringify(s.numericInputs);
  if (champion.numericInputs && candidate.numericInputs && columns(champion) !== columns(candidate)) {
    differences.push(`numeric columns changed from ${columns(champion)} to ${columns(candidate)}`);
  }
  return differences;
}

export async function loadOnnxScorer(bytes: Uint8Array, options: ScorerOptions = {}): Promise<OnnxScorer> {
  const contract = options.contract ?? FLIGHT_INPUT_CONTRACT;
  const schema = readModelSchema(bytes);
  const problems = contractProblems(schema, contract);
  if (problems.length > 0) {
    const version = schema.version ? ` version ${schema.version}` : '';
    throw new Error(`ONNX model${version} does not fit the feature contract: ${problems.join('; ')}`);
  }
  const intraOpThreads = options.intraOpThreads ?? 1;
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 0) {
    throw new Error(`intraOpThreads must be a non-negative integer (0 = ORT default), got ${intraOpThreads}`);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: intraOpThreads,
      // One graph path, so inter-op threads would only sit idle.
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
  } catch (error) {
    throw new Error(`ONNX Runtime cannot load the model (${bytes.length} bytes): ${errorMessage(error)}`);
  }

  const numericWidth = contract.numericInputs.length;
  const feeds = (inputs: ModelInputs): Record<string, ort.Tensor> => {
    const { rows } = inputs;
    if (!Number.isInteger(rows) || rows < 0)
      throw new Error(`model inputs: rows must be a non-negative integer, got ${rows}`);
    if (inputs.numeric.length !== rows * numericWidth) {
      throw new Error(
        `model inputs: numeric has ${inputs.numeric.length} values, expected ${rows} rows × ${numericWidth} columns`,
      );
    }
    const out: Record<string, ort.Tensor> = {
      [NUMERIC_INPUT]: new ort.Tensor('float32', inputs.numeric, [rows, numericWidth]),
    };
    for (const name of contract.stringInputs) {
      const column = inputs.strings[name];
      if (!column) throw new Error(`model inputs: missing string input "${name}"`);
      if (column.length !== rows)
        throw new Error(`model inputs: string input "${name}" has ${column.length} values, expected ${rows}`);
      out[name] = new ort.Tensor('string', column, [rows, 1]);
    }
    return out;
  };
  const run = async (inputs: ModelInputs, output: string, width: number): Promise<Float32Array> => {
    const feed = feeds(inputs);
    if (inputs.rows === 0) return new Float32Array(0);
    const result = await session.run(feed, [output]);
    const data = result[output].data;
    if (!(data instanceof Float32Array) || data.length !== inputs.rows * width) {
      throw new Error(`ONNX output "${output}" has ${data.length} values, expected ${inputs.rows} × ${width}`);
    }
    return data;
  };
  const featureCount = Number(schema.outputs.find((o) => o.name === FEATURES_OUTPUT)?.shape[1] ?? Number.NaN);

  let released = false;
  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    schema,
    score: (inputs) => run(inputs, PROBABILITY_OUTPUT, 1),
    features: async (inputs) => {
      if (!Number.isInteger(featureCount))
        throw new Error(`output "${FEATURES_OUTPUT}" has no fixed width in the model`);
      return run(inputs, FEATURES_OUTPUT, featureCount);
    },
    release: async () => {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}
