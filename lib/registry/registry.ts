/**
 * The model registry is a folder in git: `models/flight-delay/<version>/` holds `model.onnx`,
 * `card.json` and, for versions promoted through the gate, `evidence.json` and `gate-report.md`.
 *
 * Versions are immutable: adding one that exists fails, and a version is written into a hidden
 * staging folder first and renamed into place, so a crash never leaves a half-written version.
 * Every read re-hashes `model.onnx` against the card.
 */
import type { ProductionManifest } from '../manifest/schema.ts';
import { SHA256_PATTERN, VERSION_PATTERN } from '../manifest/validate.ts';
import { sha256Hex } from '../util/hash.ts';
import type { RepoFiles } from '../util/repo-files.ts';
import { incompleteFields } from '../features/complete-flight.ts';
import { CARD_SCHEMA_VERSION, MAX_CARD_BYTES, type ModelCard } from './card.ts';
import { errorMessage } from '../util/errors.ts';

export const MODEL_NAME = 'flight-delay';
export const REGISTRY_ROOT = `models/${MODEL_NAME}`;
export const MODEL_FILE = 'model.onnx';
export const CARD_FILE = 'card.json';
export const EVIDENCE_FILE = 'evidence.json';
export const REPORT_FILE = 'gate-report.md';

export function versionDir(version: string): string {
  if (!VERSION_PATTERN.test(version)) throw new Error(`${JSON.stringify(version)} is not a valid model version`);
  return `${REGISTRY_ROOT}/${version}`;
}

export function artifactPath(version: string): string {
  return `${versionDir(version)}/${MODEL_FILE}`;
}

export type VersionStatus = 'champion' | 'previous' | 'challenger' | 'retired' | 'candidate';

/**
 * A version's status from the manifest. `promoted` says the version went through a promotion
 * (its folder holds gate evidence): such a version that the manifest no longer names is retired,
 * any other is a candidate that was never deployed. Computed from files only, so shallow clones
 * (the Actions default) give the same answer as a full history.
 */
export function versionStatus(version: string, manifest: ProductionManifest | null, promoted: boolean): VersionStatus {
  if (manifest?.champion.version === version) return 'champion';
  if (manifest?.previous?.version === version) return 'previous';
  if (manifest?.challenger?.version === version) return 'challenger';
  return promoted ? 'retired' : 'candidate';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The feature part of a card: the whole spec in v1, the spec without lookup tables from v2 on. */
function featureErrors(features: unknown, schemaVersion: 1 | 2, at: string): string[] {
  if (!isObject(features)) return [`${at} must be an object (the feature schema)`];
  const errors: string[] = [];
  for (const list of ['numericInputs', 'stringInputs', 'featureNames'])
    if (!isStringList(features[list])) errors.push(`${at}.${list} must be a list of strings`);
  if (!Array.isArray(features.lookups)) return [...errors, `${at}.lookups must be an array`];
  features.lookups.forEach((lookup: unknown, i) => {
    const where = `${at}.lookups[${i}]`;
    if (!isObject(lookup)) return errors.push(`${where} must be an object`);
    if (typeof lookup.name !== 'string' || typeof lookup.input !== 'string')
      errors.push(`${where} must have a name and an input`);
    if (typeof lookup.defaultValue !== 'number' || !Number.isFinite(lookup.defaultValue))
      errors.push(`${where}.defaultValue must be a finite number`);
    if (schemaVersion === 1) {
      if (!isStringList(lookup.keys) || !Array.isArray(lookup.values) || lookup.keys.length !== lookup.values.length)
        errors.push(`${where} must have keys and as many values (schema 1 cards hold the lookup tables)`);
    } else {
      if (typeof lookup.keyCount !== 'number' || !Number.isInteger(lookup.keyCount) || lookup.keyCount < 0)
        errors.push(`${where}.keyCount must be a non-negative integer`);
      if ('keys' in lookup || 'values' in lookup)
        errors.push(`${where} must not hold keys or values: from schema 2 on the tables live only in ${MODEL_FILE}`);
    }
  });
  return errors;
}

function goldenErrors(golden: unknown, at: string): string[] {
  if (!Array.isArray(golden) || golden.length === 0)
    return [`${at} must list golden examples (the artifact cannot be verified without them)`];
  const errors: string[] = [];
  golden.forEach((example: unknown, i) => {
    if (errors.length >= 3) return;
    const input = isObject(example) ? example.input : undefined;
    const fields = incompleteFields(input);
    if (fields.length > 0)
      errors.push(`${at}[${i}].input is not a complete flight (${fields.join(', ')} missing or malformed)`);
    const p = isObject(example) ? example.probability : undefined;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) errors.push(`${at}[${i}].probability must be in [0, 1]`);
  });
  return errors;
}

/** Every problem of a card document (schema 1 or 2), each naming the field; empty when valid. */
export function cardErrors(value: unknown, root = 'card'): string[] {
  if (!isObject(value)) return [`${root} must be an object`];
  const errors: string[] = [];
  const schemaVersion = value.schemaVersion;
  if (schemaVersion !== 1 && schemaVersion !== CARD_SCHEMA_VERSION)
    return [`${root}.schemaVersion must be 1 or ${CARD_SCHEMA_VERSION}, got ${JSON.stringify(schemaVersion)}`];
  if (typeof value.version !== 'string' || !VERSION_PATTERN.test(value.version))
    errors.push(`${root}.version must be a version (letters, digits, ".", "-", "_")`);
  if (value.name !== MODEL_NAME) errors.push(`${root}.name must be "${MODEL_NAME}"`);
  if (typeof value.createdAt !== 'string') errors.push(`${root}.createdAt must be an ISO timestamp`);
  const artifact = value.artifact;
  if (!isObject(artifact)) errors.push(`${root}.artifact must be an object`);
  else {
    if (artifact.file !== MODEL_FILE) errors.push(`${root}.artifact.file must be "${MODEL_FILE}"`);
    if (typeof artifact.sha256 !== 'string' || !SHA256_PATTERN.test(artifact.sha256))
      errors.push(`${root}.artifact.sha256 must be 64 lowercase hex characters`);
    if (typeof artifact.bytes !== 'number' || !Number.isInteger(artifact.bytes) || artifact.bytes <= 0)
      errors.push(`${root}.artifact.bytes must be a positive integer`);
  }
  const data = value.data;
  if (!isObject(data)) errors.push(`${root}.data must be an object`);
  else {
    if (typeof data.asOf !== 'string') errors.push(`${root}.data.asOf must be an ISO date`);
    for (const window of ['train', 'validation', 'evaluation']) {
      const w = data[window];
      if (!isObject(w) || typeof w.start !== 'string' || typeof w.end !== 'string')
        errors.push(`${root}.data.${window} must have start and end`);
    }
  }
  if (!isObject(value.params)) errors.push(`${root}.params must be an object`);
  if (typeof value.trees !== 'number' || !Number.isInteger(value.trees) || value.trees < 0)
    errors.push(`${root}.trees must be a non-negative integer`);
  if (typeof value.threshold !== 'number' || !(value.threshold > 0 && value.threshold < 1))
    errors.push(`${root}.threshold must be a probability in (0, 1), got ${JSON.stringify(value.threshold)}`);
  const metrics = value.metrics;
  if (!isObject(metrics) || !isObject(metrics.evaluation)) errors.push(`${root}.metrics.evaluation must be an object`);
  errors.push(...featureErrors(value.features, schemaVersion, `${root}.features`));
  if (!Array.isArray(value.reference)) errors.push(`${root}.reference must be an array`);
  errors.push(...goldenErrors(value.golden, `${root}.golden`));
  return errors;
}

/** What a reader expects a card to describe (the manifest entry or folder it was found through). */
export interface ExpectedCard {
  version?: string;
  sha256?: string;
  /** Who expects it, for messages: e.g. `the manifest`. */
  by: string;
}

/** A card that cannot be used; `artifactMismatch` when it describes different bytes than expected. */
export class CardError extends Error {
  readonly problems: string[];
  readonly artifactMismatch: boolean;
  constructor(message: string, problems: string[], artifactMismatch = false) {
    super(message);
    this.name = 'CardError';
    this.problems = problems;
    this.artifactMismatch = artifactMismatch;
  }
}

/**
 * The one reader of card.json: parses and validates the document (schema 1 or 2; from schema 2 on
 * at most MAX_CARD_BYTES), and checks it against what the reader `expected`. Throws a CardError
 * that names the file and every problem.
 */
export function parseCard(text: string, file: string, expected?: ExpectedCard): ModelCard {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CardError(`${file} is not valid JSON: ${errorMessage(error)}`, ['not valid JSON']);
  }
  const errors = cardErrors(value);
  const bytes = Buffer.byteLength(text);
  if (isObject(value) && value.schemaVersion === CARD_SCHEMA_VERSION && bytes > MAX_CARD_BYTES)
    errors.push(
      `card.json is ${bytes} bytes; a schema ${CARD_SCHEMA_VERSION} card must be at most ${MAX_CARD_BYTES} (lookup tables belong in ${MODEL_FILE})`,
    );
  if (errors.length > 0)
    throw new CardError(`${file} is not a valid model card:\n  - ${errors.join('\n  - ')}`, errors);
  const card = value as ModelCard;
  if (expected) {
    const mismatches: string[] = [];
    if (expected.version !== undefined && card.version !== expected.version)
      mismatches.push(`version is ${card.version}, ${expected.by} says ${expected.version}`);
    const artifactMismatch = expected.sha256 !== undefined && card.artifact.sha256 !== expected.sha256;
    if (artifactMismatch)
      mismatches.push(`artifact.sha256 is ${card.artifact.sha256}, ${expected.by} says ${expected.sha256}`);
    if (mismatches.length > 0)
      throw new CardError(
        `${file} does not fit ${expected.by}: ${mismatches.join('; ')}`,
        mismatches,
        artifactMismatch,
      );
  }
  return card;
}

/** Fails, naming both files, unless `model` is exactly the artifact the card describes. */
export function checkArtifact(card: ModelCard, model: Uint8Array, modelFile: string, cardFile: string): void {
  const actual = sha256Hex(model);
  if (actual !== card.artifact.sha256) {
    throw new Error(
      `${cardFile}: artifact.sha256 does not match ${modelFile} (card ${card.artifact.sha256}, file ${actual})`,
    );
  }
  if (model.byteLength !== card.artifact.bytes) {
    throw new Error(
      `${cardFile}: artifact.bytes (${card.artifact.bytes}) does not match ${modelFile} (${model.byteLength} bytes)`,
    );
  }
}

export interface NewVersion {
  model: Uint8Array;
  /** The card file's bytes, kept verbatim so the committed card is exactly what training wrote. */
  cardText: string;
  evidenceText?: string;
  reportText?: string;
}

export interface StoredVersion {
  version: string;
  dir: string;
  card: ModelCard;
  model: Uint8Array;
  /** Promoted through the gate: the folder holds evidence. */
  promoted: boolean;
}

/** Adds a version; refuses to touch an existing one. Returns the version folder. */
export async function addVersion(files: RepoFiles, input: NewVersion, source = 'candidate'): Promise<string> {
  const card = parseCard(input.cardText, `${source}/${CARD_FILE}`);
  checkArtifact(card, input.model, `${source}/${MODEL_FILE}`, `${source}/${CARD_FILE}`);
  const dir = versionDir(card.version);
  if (await files.exists(dir)) {
    throw new Error(
      `${dir} already exists: registered versions are immutable (a retrained model gets a new version from its sha256)`,
    );
  }
  const staging = `${REGISTRY_ROOT}/.staging-${card.version}-${process.pid}-${Date.now()}`;
  try {
    await files.write(`${staging}/${MODEL_FILE}`, input.model);
    await files.write(`${staging}/${CARD_FILE}`, input.cardText);
    if (input.evidenceText !== undefined) await files.write(`${staging}/${EVIDENCE_FILE}`, input.evidenceText);
    if (input.reportText !== undefined) await files.write(`${staging}/${REPORT_FILE}`, input.reportText);
    await files.rename(staging, dir);
  } finally {
    await files.remove(staging);
  }
  return dir;
}

/** Reads a version and checks `model.onnx` against its card. */
export async function readVersion(files: RepoFiles, version: string): Promise<StoredVersion> {
  const dir = versionDir(version);
  const cardFile = `${dir}/${CARD_FILE}`;
  const modelFile = `${dir}/${MODEL_FILE}`;
  if (!(await files.exists(cardFile)))
    throw new Error(`model version ${version} is not in the registry: ${cardFile} does not exist`);
  if (!(await files.exists(modelFile)))
    throw new Error(`${modelFile} is missing (the card is there, the artifact is not)`);
  const card = parseCard(await files.readText(cardFile), cardFile, { version, by: 'its folder' });
  const model = await files.read(modelFile);
  checkArtifact(card, model, modelFile, cardFile);
  return { version, dir, card, model, promoted: await files.exists(`${dir}/${EVIDENCE_FILE}`) };
}

export interface ListedVersion {
  version: string;
  card: ModelCard;
  promoted: boolean;
}

/** Every registered version (cards only; `verify` also re-hashes each artifact). */
export async function listVersions(files: RepoFiles, options: { verify?: boolean } = {}): Promise<ListedVersion[]> {
  const out: ListedVersion[] = [];
  for (const name of await files.list(REGISTRY_ROOT)) {
    if (name.startsWith('.')) continue;
    const dir = `${REGISTRY_ROOT}/${name}`;
    if (!(await files.exists(`${dir}/${CARD_FILE}`))) continue;
    if (options.verify) {
      const stored = await readVersion(files, name);
      out.push({ version: name, card: stored.card, promoted: stored.promoted });
      continue;
    }
    const card = parseCard(await files.readText(`${dir}/${CARD_FILE}`), `${dir}/${CARD_FILE}`, {
      version: name,
      by: 'its folder',
    });
    out.push({ version: name, card, promoted: await files.exists(`${dir}/${EVIDENCE_FILE}`) });
  }
  return out;
}
