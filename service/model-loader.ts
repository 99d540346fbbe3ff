/**
 * Loading one manifest entry into a ServingModel: read (release-reader.ts) → verify the bytes
 * (model-verifier.ts) → create the scorer → golden outputs → warm-up. Any failure is a LoadError
 * and releases what was created; nothing here touches the serving model.
 */
import type { ManifestEntry } from '../lib/manifest/schema.ts';
import { knownKeys } from '../lib/onnx/graph.ts';
import { errorMessage } from '../lib/util/errors.ts';
import type { Logger } from './logger.ts';
import { checkGolden, verifyArtifact, warmUp } from './model-verifier.ts';
import type { ReleaseReader } from './release-reader.ts';
import type { LoadScorer, Scorer } from './scorer.ts';
import { LoadError, type Role, ServingModel } from './serving-model.ts';

export interface LoaderOptions {
  reader: ReleaseReader;
  loadScorer: LoadScorer;
  logger: Logger;
  /** Rows in the warm-up batch (the largest batch the service will run). */
  warmupRows: number;
  now: () => number;
}

export async function loadModel(
  { reader, loadScorer, logger, warmupRows, now }: LoaderOptions,
  entry: ManifestEntry,
  revision: string,
  role: Role,
): Promise<ServingModel> {
  const what = `${role} ${entry.version}`;
  const bytes = await reader.read(revision, entry.path, what);
  verifyArtifact(entry, bytes, what);
  const card = await reader.card(entry, revision);
  // The loader checks the inputs against the feature contract before creating a session; its
  // message says which check failed (decoding the model here too would double a large allocation).
  let scorer: Scorer;
  try {
    scorer = await loadScorer(bytes);
  } catch (error) {
    const message = errorMessage(error);
    throw new LoadError(/feature contract/.test(message) ? 'schema_mismatch' : 'corrupt_onnx', `${what}: ${message}`);
  }
  try {
    await checkGolden(scorer, card, what);
    await warmUp(scorer, card, what, warmupRows);
  } catch (error) {
    await scorer.release().catch(() => {});
    throw error;
  }
  return new ServingModel(entry, card, knownKeys(bytes), scorer, revision, now(), logger);
}
