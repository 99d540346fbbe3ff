/**
 * Reading a Taxiway artifact's graph without running it. The learned lookup tables live only here
 * (as `ai.onnx.ml.LabelEncoder` nodes): model cards from schema version 2 on keep their shape, not
 * their keys, so whatever needs the keys — the gate's unseen-airport and unseen-route data checks,
 * the service's unknown-airport counters — reads them from the artifact through this module.
 */
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { FeatureSpec, LookupFeature } from '../features/spec.ts';
import { errorMessage } from '../util/errors.ts';
import { METADATA_KEYS, ML_DOMAIN } from './export-gbdt.ts';

const { onnx } = onnxProto;
const utf8 = new TextDecoder();

// Field numbers and wire type from onnx.proto (ModelProto.graph, GraphProto.node, NodeProto.op_type).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_OP_TYPE = 4;
const LENGTH_DELIMITED = 2;

/** The op_type of an encoded NodeProto, read without decoding its attributes. */
function opTypeOf(node: Uint8Array): string {
  const reader = protobuf.Reader.create(node);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === ((NODE_OP_TYPE << 3) | LENGTH_DELIMITED)) return reader.string();
    reader.skipType(tag & 7);
  }
  return '';
}

/**
 * The fields of an encoded message as raw byte chunks, with the length-delimited fields numbered
 * `field` replaced by `rewrite(bytes)` (null drops the field). Skipping is a cursor move, so this
 * costs nothing next to decoding what it drops.
 */
function rewriteFields(
  bytes: Uint8Array,
  field: number,
  rewrite: (value: Uint8Array) => Uint8Array | null,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const reader = protobuf.Reader.create(bytes);
  const tagOf = (field << 3) | LENGTH_DELIMITED;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    if (tag !== tagOf) {
      reader.skipType(tag & 7);
      chunks.push(bytes.subarray(start, reader.pos));
      continue;
    }
    const value = rewrite(reader.bytes());
    if (value) chunks.push(protobuf.Writer.create().uint32(tag).bytes(value).finish());
  }
  return Buffer.concat(chunks);
}

/**
 * Parses the bytes as an ONNX ModelProto with a graph; errors say the bytes are corrupt.
 * `keepNode` chooses the graph nodes to decode by op type; the others are left out before
 * decoding: the tree ensemble is most of an artifact and protobufjs decodes its attributes in about
 * 220 ms for 32 trees (measured), while everything else takes a millisecond or two.
 */
export function decodeModel(
  bytes: Uint8Array,
  keepNode: (opType: string) => boolean = () => true,
): OnnxTypes.ModelProto {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new Error('ONNX model bytes are empty');
  let model: OnnxTypes.ModelProto;
  try {
    const kept = rewriteFields(bytes, MODEL_GRAPH, (graph) =>
      rewriteFields(graph, GRAPH_NODE, (node) => (keepNode(opTypeOf(node)) ? node : null)),
    );
    model = onnx.ModelProto.decode(kept);
  } catch (error) {
    throw new Error(
      `ONNX model (${bytes.length} bytes) is corrupt: cannot parse it as an ONNX ModelProto (${errorMessage(error)})`,
    );
  }
  if (!model.graph)
    throw new Error(`ONNX model (${bytes.length} bytes) has no graph; the bytes are corrupt or not an ONNX model`);
  return model;
}

/** The artifact's metadata_props as a record. */
export function modelMetadata(model: OnnxTypes.IModelProto): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of model.metadataProps ?? []) metadata[entry.key ?? ''] = entry.value ?? '';
  return metadata;
}

const LOOKUP_OUTPUT_PREFIX = 'lookup_';
const isLookup = (opType: string) => opType === 'LabelEncoder';

/** The lookup tables of the graph's LabelEncoder nodes, in graph (= feature) order. */
export function graphLookups(model: OnnxTypes.IModelProto): LookupFeature[] {
  const lookups: LookupFeature[] = [];
  for (const node of model.graph?.node ?? []) {
    if (node.opType !== 'LabelEncoder' || node.domain !== ML_DOMAIN) continue;
    const output = node.output?.[0] ?? '';
    const attribute = (name: string) => node.attribute?.find((a) => a.name === name);
    const keys = (attribute('keys_strings')?.strings ?? []).map((s) => utf8.decode(s));
    const values = [...(attribute('values_floats')?.floats ?? [])];
    if (keys.length !== values.length)
      throw new Error(`ONNX node ${node.name}: ${keys.length} keys_strings but ${values.length} values_floats`);
    lookups.push({
      name: output.startsWith(LOOKUP_OUTPUT_PREFIX) ? output.slice(LOOKUP_OUTPUT_PREFIX.length) : output,
      input: node.input?.[0] ?? '',
      keys,
      values,
      defaultValue: attribute('default_float')?.f ?? Number.NaN,
    });
  }
  return lookups;
}

function metadataList(metadata: Record<string, string>, key: string): string[] {
  const text = metadata[key];
  if (text === undefined) throw new Error(`the ONNX model has no ${key} metadata (not a Taxiway artifact?)`);
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`the ONNX model's ${key} metadata is not a list of strings`);
  return value;
}

/** The feature spec an artifact was exported from: its metadata plus its lookup tables. */
export function readFeatureSpec(bytes: Uint8Array): FeatureSpec {
  const model = decodeModel(bytes, isLookup);
  const metadata = modelMetadata(model);
  const version = metadata[METADATA_KEYS.featureSpecVersion];
  if (version !== '1')
    throw new Error(`the ONNX model has feature spec version ${JSON.stringify(version)}, expected 1`);
  return {
    version: 1,
    numericInputs: metadataList(metadata, METADATA_KEYS.numericInputs),
    stringInputs: metadataList(metadata, METADATA_KEYS.stringInputs),
    lookups: graphLookups(model),
    featureNames: metadataList(metadata, METADATA_KEYS.featureNames),
  };
}

/** Per string input (`origin`, `route`, …), the keys the model learned a value for. */
export type KnownKeys = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The keys an artifact knows for each string input: the union of the keys of the lookups that
 * read it (a key missing there gets the lookup's default — an unseen airport or route).
 */
export function knownKeys(bytes: Uint8Array): KnownKeys {
  const known = new Map<string, Set<string>>();
  for (const lookup of graphLookups(decodeModel(bytes, isLookup))) {
    let keys = known.get(lookup.input);
    if (!keys) known.set(lookup.input, (keys = new Set()));
    for (const key of lookup.keys) keys.add(key);
  }
  return known;
}
