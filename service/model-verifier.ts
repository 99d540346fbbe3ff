/**
 * Verifying an artifact before it serves: its bytes against the manifest's sha256, and its scores
 * against the card's golden examples — cold, then across a warm-up batch as large as the service's
 * largest (which may run on the inference worker's session). The card itself is validated once,
 * by lib/registry (`parseCard`), when the release reader reads it.
 */
import type { ManifestEntry } from '../lib/manifest/schema.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import { errorMessage } from '../lib/util/errors.ts';
import { sha256Hex } from '../lib/util/hash.ts';
import type { Scorer } from './scorer.ts';
import { LoadError } from './serving-model.ts';

export const GOLDEN_TOLERANCE = 1e-6;

/** The artifact's bytes are the ones the manifest names. */
export function verifyArtifact(entry: ManifestEntry, bytes: Uint8Array, what: string): void {
  const actual = sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new LoadError(
      'hash_mismatch',
      `${what}: ${entry.path} has sha256 ${actual}, the manifest says ${entry.sha256}`,
    );
  }
}

export async function checkGolden(scorer: Scorer, card: ModelCard, what: string): Promise<void> {
  let scores: Float32Array;
  try {
    scores = (await scorer.scoreFlights(card.golden.map((g) => g.input))).scores;
  } catch (error) {
    throw new LoadError('golden_mismatch', `${what}: scoring the golden examples failed: ${errorMessage(error)}`);
  }
  let worst = -1;
  let worstDiff = 0;
  let failing = 0;
  for (let i = 0; i < card.golden.length; i++) {
    const diff = Math.abs(scores[i] - card.golden[i].probability);
    // `!(diff <= tol)` also catches NaN.
    if (!(diff <= GOLDEN_TOLERANCE)) {
      failing++;
      if (worst < 0 || diff > worstDiff || Number.isNaN(diff)) {
        worst = i;
        worstDiff = diff;
      }
    }
  }
  if (failing > 0) {
    throw new LoadError(
      'golden_mismatch',
      `${what}: ${failing} of ${card.golden.length} golden outputs differ by more than ${GOLDEN_TOLERANCE.toExponential()}; worst golden[${worst}]: model ${scores[worst]}, card ${card.golden[worst].probability} (|Δ| ${worstDiff})`,
    );
  }
}

/**
 * First calls allocate ORT's buffers; do them before traffic does, at both ends of the batch range
 * (`rows` is the largest batch the service will run), and check the big batch's outputs too.
 */
export async function warmUp(scorer: Scorer, card: ModelCard, version: string, rows: number): Promise<void> {
  const inputs = card.golden.map((g) => g.input);
  const batch = Array.from({ length: rows }, (_, i) => inputs[i % inputs.length]);
  let scores: Float32Array;
  try {
    scores = (await scorer.scoreFlights(batch)).scores;
    for (let i = 0; i < 3; i++) {
      await scorer.scoreFlights(batch);
      await scorer.scoreFlights(inputs.slice(0, 1));
    }
  } catch (error) {
    throw new LoadError('warmup_failed', `${version}: warm-up scoring failed: ${errorMessage(error)}`);
  }
  // Large batches may take another path (the inference worker's session): it must agree too.
  for (let i = 0; i < batch.length; i++) {
    const expected = card.golden[i % inputs.length].probability;
    if (!(Math.abs(scores[i] - expected) <= GOLDEN_TOLERANCE)) {
      throw new LoadError(
        'golden_mismatch',
        `${version}: a ${batch.length}-row batch gives ${scores[i]} for golden[${i % inputs.length}], the card says ${expected}`,
      );
    }
  }
}
