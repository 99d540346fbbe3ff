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
import type { ModelCard } from './card.ts';
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

/** The card fields the registry, gate and release code rely on; errors name the field. */
export function cardErrors(value: unknown, root = 'card'): string[] {
  const errors: string[] = [];
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(value)) return [`${root} must be an object`];
  if (typeof value.version !== 'string' || !VERSION_PATTERN.test(value.version))
    errors.push(`${root}.version must be a version (letters, digits, ".", "-", "_")`);
  if (value.name !== MODEL_NAME) errors.push(`${root}.name must be "${MODEL_NAME}"`);
  if (typeof value.createdAt !== 'string') errors.push(`${root}.createdAt must be an ISO timestamp`);
  const artifact = value.artifact;
  if (!obj(artifact)) errors.push(`${root}.artifact must be an object`);
  else {
    if (artifact.file !== MODEL_FILE) errors.push(`${root}.artifact.file must be "${MODEL_FILE}"`);
    if (typeof artifact.sha256 !== 'string' || !SHA256_PATTERN.test(artifact.sha256))
      errors.push(`${root}.artifact.sha256 must be 64 lowercase hex characters`);
    if (typeof artifact.bytes !== 'number' || !Number.isInteger(artifact.bytes) || artifact.bytes <= 0)
      errors.push(`${root}.artifact.bytes must be a positive integer`);
  }
  const data = value.data;
  if (!obj(data)) errors.push(`${root}.data must be an object`);
  else {
    if (typeof data.asOf !== 'string') errors.push(`${root}.data.asOf must be an ISO date`);
    for (const window of ['train', 'validation', 'evaluation']) {
      const w = data[window];
      if (!obj(w) || typeof w.start !== 'string' || typeof w.end !== 'string')
        errors.push(`${root}.data.${window} must have start and end`);
    }
  }
  const metrics = value.metrics;
  if (!obj(metrics) || !obj(metrics.evaluation)) errors.push(`${root}.metrics.evaluation must be an object`);
  if (!obj(value.features)) errors.push(`${root}.features must be an object`);
  if (!Array.isArray(value.golden)) errors.push(`${root}.golden must be an array`);
  return errors;
}

export function parseCard(text: string, file: string): ModelCard {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${errorMessage(error)}`);
  }
  const errors = cardErrors(value);
  if (errors.length > 0) throw new Error(`${file} is not a valid model card:\n  - ${errors.join('\n  - ')}`);
  return value as ModelCard;
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
  const card = parseCard(await files.readText(cardFile), cardFile);
  if (card.version !== version)
    throw new Error(`${cardFile}: version is ${card.version}, but the folder says ${version}`);
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
    const card = parseCard(await files.readText(`${dir}/${CARD_FILE}`), `${dir}/${CARD_FILE}`);
    if (card.version !== name)
      throw new Error(`${dir}/${CARD_FILE}: version is ${card.version}, but the folder says ${name}`);
    out.push({ version: name, card, promoted: await files.exists(`${dir}/${EVIDENCE_FILE}`) });
  }
  return out;
}
