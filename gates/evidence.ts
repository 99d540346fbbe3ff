/**
 * `evidence.json`: the machine-readable record of one gate run — the verdict, every check and
 * figure, which candidate and champion (versions and sha256s), which policy (its hash), which
 * data, and how long each step took. Promotion copies it into the registry next to the model.
 */
import type { ModelCard } from '../lib/registry/card.ts';
import type { GateVerdict } from './evaluate.ts';
import type { GatePolicy } from './policy.ts';

export interface EvidenceModel {
  version: string;
  sha256: string;
  bytes: number;
  asOf: string;
  trees: number;
  createdAt: string;
  run: ModelCard['run'] | null;
}

export interface GateEvidence extends GateVerdict {
  schemaVersion: 1;
  kind: 'taxiway.gate-evidence';
  model: 'flight-delay';
  candidate: EvidenceModel;
  champion: EvidenceModel | null;
  policy: { file: string; sha256: string; values: GatePolicy };
  evaluation: { start: string; end: string; rows: number; positives: number; dataFile: string; dataSha256: string };
  gate: { createdAt: string; code: { commit: string; dirty: boolean }; node: string; run: ModelCard['run'] | null };
  /** Milliseconds per step. */
  timings: Record<string, number>;
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

/** Numbers JSON cannot hold (NaN, ±Infinity) become null rather than breaking the file. */
export function formatEvidence(evidence: GateEvidence): string {
  return `${JSON.stringify(evidence, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
