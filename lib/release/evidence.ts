/**
 * The head of `evidence.json`: which candidate, measured against which champion, with what
 * verdict. Promotion (and any other reader) relies on this part; the gate writes the whole
 * document — `GateEvidence` in gates/evidence.ts extends this head with every check and figure.
 */
import type { ModelCard } from '../registry/card.ts';
import { SHA256_PATTERN } from '../manifest/validate.ts';
import { errorMessage } from '../util/errors.ts';

/** A model as the evidence names it. */
export interface EvidenceModel {
  version: string;
  sha256: string;
  bytes: number;
  asOf: string;
  trees: number;
  createdAt: string;
  run: ModelCard['run'] | null;
}

export interface EvidenceHead {
  schemaVersion: 1;
  kind: 'taxiway.gate-evidence';
  model: 'flight-delay';
  verdict: 'pass' | 'fail';
  summary: { passed: number; failed: number; skipped: number; total: number };
  candidate: EvidenceModel;
  champion: EvidenceModel | null;
}

export function evidenceModel(card: ModelCard): EvidenceModel {
  return {
    version: card.version,
    sha256: card.artifact.sha256,
    bytes: card.artifact.bytes,
    asOf: card.data.asOf,
    trees: card.trees,
    createdAt: card.createdAt,
    run: card.run ?? null,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function modelErrors(value: unknown, at: string): string[] {
  if (!isObject(value)) return [`${at} must be an object`];
  const errors: string[] = [];
  if (typeof value.version !== 'string' || value.version === '') errors.push(`${at}.version must be a version`);
  if (typeof value.sha256 !== 'string' || !SHA256_PATTERN.test(value.sha256))
    errors.push(`${at}.sha256 must be 64 lowercase hex characters`);
  return errors;
}

/** Every problem of an evidence document's head, each naming the field; empty when valid. */
export function evidenceErrors(value: unknown): string[] {
  if (!isObject(value)) return ['the evidence must be a JSON object'];
  const errors: string[] = [];
  if (value.kind !== 'taxiway.gate-evidence' || value.schemaVersion !== 1)
    errors.push('kind must be "taxiway.gate-evidence" with schemaVersion 1 (is this gate evidence?)');
  if (value.verdict !== 'pass' && value.verdict !== 'fail') errors.push('verdict must be "pass" or "fail"');
  const summary = value.summary;
  if (!isObject(summary) || !['passed', 'failed', 'skipped'].every((k) => typeof summary[k] === 'number'))
    errors.push('summary must count passed, failed and skipped checks');
  errors.push(...modelErrors(value.candidate, 'candidate'));
  if (value.champion !== null) errors.push(...modelErrors(value.champion, 'champion'));
  return errors;
}

/** The one reader of evidence.json: parses it and checks its head, naming the file and fields. */
export function parseEvidence(text: string, file: string): EvidenceHead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${errorMessage(error)})`);
  }
  const errors = evidenceErrors(value);
  if (errors.length > 0) throw new Error(`${file} is not gate evidence:\n  - ${errors.join('\n  - ')}`);
  return value as EvidenceHead;
}
