/**
 * `evidence.json`: the machine-readable record of one gate run — the verdict, every check and
 * figure, which candidate and champion (versions and sha256s), which policy (its hash), which
 * data, and how long each step took. Promotion copies it into the registry next to the model.
 */
import type { EvidenceHead } from '../lib/release/evidence.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import type { GateVerdict } from './evaluate.ts';
import type { GatePolicy } from './policy.ts';

/** The whole document: the head promotion reads (lib/release/evidence.ts) and everything measured. */
export interface GateEvidence extends EvidenceHead, GateVerdict {
  policy: { file: string; sha256: string; values: GatePolicy };
  evaluation: { start: string; end: string; rows: number; positives: number; dataFile: string; dataSha256: string };
  gate: { createdAt: string; code: { commit: string; dirty: boolean }; node: string; run: ModelCard['run'] | null };
  /** Milliseconds per step. */
  timings: Record<string, number>;
}

/** Numbers JSON cannot hold (NaN, ±Infinity) become null rather than breaking the file. */
export function formatEvidence(evidence: GateEvidence): string {
  return `${JSON.stringify(evidence, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
