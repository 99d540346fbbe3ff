/**
 * GbdtModel + FeatureSpec → a self-contained ONNX model:
 *
 *   numeric [N, k] ──────────────────────────────┐
 *   origin [N, 1] ── LabelEncoder(origin_code) ──┤
 *   …             ── LabelEncoder(…)          ───┴─ Concat(axis 1) → features [N, F]
 *   features ── TreeEnsembleRegressor (BRANCH_LT) → log_odds [N, 1] ── Sigmoid → probability [N, 1]
 *
 * The bytes depend only on the arguments (no timestamps, fixed ordering), so re-exporting the same
 * model gives the same sha256 in the model card.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { FeatureSpec, LookupFeature } from '../features/spec.ts';
import type { GbdtModel, Tree } from '../ml/gbdt/model.ts';

const { onnx } = onnxProto;

export const PRODUCER_NAME = 'taxiway';
/** Bumped when the graph layout changes. */
export const PRODUCER_VERSION = '1';
export const IR_VERSION = 8;
export const OPSET_ONNX = 13;
/** ai.onnx.ml 3: LabelEncoder-2 (keys_strings → values_floats) and TreeEnsembleRegressor-3. */
export const OPSET_ML = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

export const NUMERIC_INPUT = 'numeric';
export const FEATURES_OUTPUT = 'features';
export const PROBABILITY_OUTPUT = 'probability';
const LOG_ODDS = 'log_odds';
/** Symbolic batch dimension. */
export const BATCH_DIM = 'N';

/** metadata_props keys; values are plain strings or JSON arrays. */
export const METADATA_KEYS = {
  version: 'taxiway.version',
  featureNames: 'taxiway.feature_names',
  numericInputs: 'taxiway.numeric_inputs',
  stringInputs: 'taxiway.string_inputs',
  featureSpecVersion: 'taxiway.feature_spec_version',
} as const;

export interface ExportMeta {
  version: string;
  description?: string;
}

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;
const utf8 = new TextEncoder();

export function exportGbdtToOnnx(model: GbdtModel, spec: FeatureSpec, meta: ExportMeta): Uint8Array {
  checkSpec(spec);
  checkModel(model, spec);
  if (!meta.version) throw new Error('exportGbdtToOnnx: meta.version is empty');

  const featureCount = spec.featureNames.length;
  const nodes: OnnxTypes.INodeProto[] = [];
  const concatInputs = [NUMERIC_INPUT];
  for (const lookup of spec.lookups) {
    const output = `lookup_${lookup.name}`;
    concatInputs.push(output);
    nodes.push(labelEncoderNode(lookup, output));
  }
  nodes.push({
    name: 'concat_features',
    opType: 'Concat',
    input: concatInputs,
    output: [FEATURES_OUTPUT],
    attribute: [intAttribute('axis', 1)],
  });
  nodes.push(treeEnsembleNode(model, FEATURES_OUTPUT, LOG_ODDS));
  nodes.push({ name: 'sigmoid', opType: 'Sigmoid', input: [LOG_ODDS], output: [PROBABILITY_OUTPUT] });

  const graph: OnnxTypes.IGraphProto = {
    name: 'flight_delay',
    node: nodes,
    input: [
      tensorValue(NUMERIC_INPUT, DataType.FLOAT, spec.numericInputs.length),
      ...spec.stringInputs.map((name) => tensorValue(name, DataType.STRING, 1)),
    ],
    output: [
      tensorValue(FEATURES_OUTPUT, DataType.FLOAT, featureCount),
      tensorValue(PROBABILITY_OUTPUT, DataType.FLOAT, 1),
    ],
  };

  const modelProto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    domain: 'taxiway.flight_delay',
    docString: meta.description ?? '',
    opsetImport: [
      { domain: '', version: OPSET_ONNX },
      { domain: ML_DOMAIN, version: OPSET_ML },
    ],
    graph,
    metadataProps: [
      { key: METADATA_KEYS.version, value: meta.version },
      { key: METADATA_KEYS.featureSpecVersion, value: String(spec.version) },
      { key: METADATA_KEYS.featureNames, value: JSON.stringify(spec.featureNames) },
      { key: METADATA_KEYS.numericInputs, value: JSON.stringify(spec.numericInputs) },
      { key: METADATA_KEYS.stringInputs, value: JSON.stringify(spec.stringInputs) },
    ],
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

function checkSpec(spec: FeatureSpec): void {
  const expected = [...spec.numericInputs, ...spec.lookups.map((l) => l.name)];
  const mismatch = firstMismatch(spec.featureNames, expected);
  if (mismatch !== null) {
    throw new Error(`feature spec: featureNames must be numericInputs followed by lookup names; ${mismatch}`);
  }
  const names = new Set<string>([NUMERIC_INPUT, FEATURES_OUTPUT, PROBABILITY_OUTPUT, LOG_ODDS]);
  for (const name of spec.stringInputs) {
    if (names.has(name))
      throw new Error(`feature spec: string input "${name}" is duplicated or clashes with a graph name`);
    names.add(name);
  }
  const lookupNames = new Set<string>();
  for (const lookup of spec.lookups) {
    if (lookupNames.has(lookup.name)) throw new Error(`feature spec: lookup "${lookup.name}" appears twice`);
    lookupNames.add(lookup.name);
    if (!spec.stringInputs.includes(lookup.input)) {
      throw new Error(
        `feature spec: lookup "${lookup.name}" reads string input "${lookup.input}", which is not in stringInputs`,
      );
    }
    if (lookup.keys.length !== lookup.values.length) {
      throw new Error(
        `feature spec: lookup "${lookup.name}" has ${lookup.keys.length} keys but ${lookup.values.length} values`,
      );
    }
    if (lookup.keys.length === 0) {
      // ORT rejects a LabelEncoder without keys; an empty table carries no information anyway.
      throw new Error(`feature spec: lookup "${lookup.name}" has no keys`);
    }
    const seen = new Set<string>();
    for (const key of lookup.keys) {
      if (seen.has(key))
        throw new Error(`feature spec: lookup "${lookup.name}" has duplicate key ${JSON.stringify(key)}`);
      seen.add(key);
    }
    if (!Number.isFinite(lookup.defaultValue))
      throw new Error(`feature spec: lookup "${lookup.name}" has a non-finite default`);
  }
}

function checkModel(model: GbdtModel, spec: FeatureSpec): void {
  const mismatch = firstMismatch(model.featureNames, spec.featureNames);
  if (mismatch !== null) throw new Error(`model features do not match the feature spec: ${mismatch}`);
  if (!Number.isFinite(model.baseScore)) throw new Error(`model baseScore is not finite: ${model.baseScore}`);
  const featureCount = spec.featureNames.length;
  model.trees.forEach((tree, t) => {
    const size = tree.feature.length;
    if (size === 0) throw new Error(`tree ${t} has no nodes`);
    for (const key of ['threshold', 'left', 'right', 'value'] as const) {
      if (tree[key].length !== size)
        throw new Error(`tree ${t}: ${key} has ${tree[key].length} entries, feature has ${size}`);
    }
    for (let i = 0; i < size; i++) {
      if (tree.feature[i] < 0) {
        if (!Number.isFinite(tree.value[i])) throw new Error(`tree ${t} leaf ${i} has a non-finite value`);
        continue;
      }
      if (!Number.isInteger(tree.feature[i]) || tree.feature[i] >= featureCount) {
        throw new Error(
          `tree ${t} node ${i} splits on feature ${tree.feature[i]}, but there are ${featureCount} features`,
        );
      }
      if (!Number.isFinite(tree.threshold[i])) throw new Error(`tree ${t} node ${i} has a non-finite threshold`);
      if (Math.fround(tree.threshold[i]) !== tree.threshold[i]) {
        // The graph stores float32; a rounded threshold would send some rows the other way.
        throw new Error(`tree ${t} node ${i} threshold ${tree.threshold[i]} is not float32-representable`);
      }
      for (const child of [tree.left[i], tree.right[i]]) {
        if (!Number.isInteger(child) || child <= 0 || child >= size) {
          throw new Error(`tree ${t} node ${i} has child ${child}, outside 1..${size - 1}`);
        }
      }
    }
    // Every node reachable from the root at most once: no cycles or shared subtrees.
    const visited = new Uint8Array(size);
    const stack = [0];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (visited[node]) throw new Error(`tree ${t} node ${node} is reached twice (a cycle or shared child)`);
      visited[node] = 1;
      if (tree.feature[node] >= 0) stack.push(tree.left[node], tree.right[node]);
    }
  });
}

/** null when equal, else a description of the first difference. */
function firstMismatch(actual: readonly string[], expected: readonly string[]): string | null {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      return `position ${i} is ${JSON.stringify(actual[i] ?? null)}, expected ${JSON.stringify(expected[i] ?? null)} (${actual.length} vs ${expected.length} names)`;
    }
  }
  return null;
}

function labelEncoderNode(lookup: LookupFeature, output: string): OnnxTypes.INodeProto {
  return {
    name: `encode_${lookup.name}`,
    opType: 'LabelEncoder',
    domain: ML_DOMAIN,
    input: [lookup.input],
    output: [output],
    attribute: [
      floatAttribute('default_float', lookup.defaultValue),
      stringsAttribute('keys_strings', lookup.keys),
      floatsAttribute('values_floats', lookup.values),
    ],
  };
}

function treeEnsembleNode(model: GbdtModel, input: string, output: string): OnnxTypes.INodeProto {
  // An ensemble without trees still needs one node; a single zero leaf leaves the sum unchanged.
  const trees: Tree[] =
    model.trees.length > 0 ? model.trees : [{ feature: [-1], threshold: [0], left: [0], right: [0], value: [0] }];
  const nodeTree: number[] = [];
  const nodeId: number[] = [];
  const nodeFeature: number[] = [];
  const nodeMode: string[] = [];
  const nodeValue: number[] = [];
  const nodeTrue: number[] = [];
  const nodeFalse: number[] = [];
  const leafTree: number[] = [];
  const leafNode: number[] = [];
  const leafWeight: number[] = [];
  trees.forEach((tree, t) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = tree.feature[i] < 0;
      nodeTree.push(t);
      nodeId.push(i);
      nodeFeature.push(leaf ? 0 : tree.feature[i]);
      nodeMode.push(leaf ? 'LEAF' : 'BRANCH_LT');
      nodeValue.push(leaf ? 0 : tree.threshold[i]);
      // "true" is x < threshold, which GbdtModel sends left.
      nodeTrue.push(leaf ? 0 : tree.left[i]);
      nodeFalse.push(leaf ? 0 : tree.right[i]);
      if (leaf) {
        leafTree.push(t);
        leafNode.push(i);
        leafWeight.push(tree.value[i]);
      }
    }
  });
  return {
    name: 'trees',
    opType: 'TreeEnsembleRegressor',
    domain: ML_DOMAIN,
    input: [input],
    output: [output],
    attribute: [
      stringAttribute('aggregate_function', 'SUM'),
      floatsAttribute('base_values', [model.baseScore]),
      intAttribute('n_targets', 1),
      intsAttribute('nodes_falsenodeids', nodeFalse),
      intsAttribute('nodes_featureids', nodeFeature),
      stringsAttribute('nodes_modes', nodeMode),
      intsAttribute('nodes_nodeids', nodeId),
      intsAttribute('nodes_treeids', nodeTree),
      intsAttribute('nodes_truenodeids', nodeTrue),
      floatsAttribute('nodes_values', nodeValue),
      stringAttribute('post_transform', 'NONE'),
      intsAttribute('target_ids', new Array<number>(leafTree.length).fill(0)),
      intsAttribute('target_nodeids', leafNode),
      intsAttribute('target_treeids', leafTree),
      floatsAttribute('target_weights', leafWeight),
    ],
  };
}

function tensorValue(name: string, elemType: number, columns: number): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimParam: BATCH_DIM }, { dimValue: columns }] } } },
  };
}

function intAttribute(name: string, i: number): OnnxTypes.IAttributeProto {
  return { name, type: AttributeType.INT, i };
}

function intsAttribute(name: string, ints: number[]): OnnxTypes.IAttributeProto {
  return { name, type: AttributeType.INTS, ints };
}

function floatAttribute(name: string, f: number): OnnxTypes.IAttributeProto {
  return { name, type: AttributeType.FLOAT, f };
}

function floatsAttribute(name: string, floats: readonly number[]): OnnxTypes.IAttributeProto {
  return { name, type: AttributeType.FLOATS, floats: [...floats] };
}

function stringAttribute(name: string, s: string): OnnxTypes.IAttributeProto {
  return { name, type: AttributeType.STRING, s: utf8.encode(s) };
}

function stringsAttribute(name: string, strings: readonly string[]): OnnxTypes.IAttributeProto {
  return { name, type: AttributeType.STRINGS, strings: strings.map((s) => utf8.encode(s)) };
}
