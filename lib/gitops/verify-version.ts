/**
 * What a deploy (and a rollback) checks before it tells anything to serve a version: the artifact's
 * bytes hash to the sha256 the manifest names, the card describes exactly those bytes, ONNX Runtime
 * loads it, and it reproduces the card's golden outputs. The service repeats the same checks before
 * it swaps (service/model-manager.ts); doing them in the workflow refuses a bad artifact before a
 * Deployment is reported successful, and names the file in the run's log.
 */
import { toModelInputs } from '../features/flight-features.ts';
import type { ManifestEntry, ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, readManifest } from '../manifest/store.ts';
import { loadOnnxScorer } from '../onnx/runtime.ts';
import type { ModelCard } from '../registry/card.ts';
import { CARD_FILE, checkArtifact, parseCard, versionDir } from '../registry/registry.ts';
import { sha256Hex } from '../util/hash.ts';
import type { RepoFiles } from '../util/repo-files.ts';

/** The service's tolerance for golden outputs (service/model-manager.ts GOLDEN_TOLERANCE). */
export const GOLDEN_TOLERANCE = 1e-6;

export interface VerifiedVersion {
  version: string;
  path: string;
  sha256: string;
  bytes: number;
  card: ModelCard;
  goldenExamples: number;
  goldenMaxDifference: number;
}

/** The worst golden difference, or a message naming the example that breaks `tolerance`. */
export function goldenProblem(
  expected: readonly number[],
  actual: Float32Array,
  tolerance: number,
): { maxDifference: number; problem: string | null } {
  let maxDifference = 0;
  let failing = 0;
  let worst = -1;
  let worstDifference = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(diff) || diff > maxDifference) maxDifference = diff;
    // `!(diff <= tolerance)` also catches NaN.
    if (diff <= tolerance) continue;
    failing++;
    if (worst < 0 || Number.isNaN(diff) || diff > worstDifference) {
      worst = i;
      worstDifference = diff;
    }
  }
  if (expected.length === 0) return { maxDifference: 0, problem: 'the card has no golden examples' };
  if (failing === 0) return { maxDifference, problem: null };
  return {
    maxDifference,
    problem: `${failing} of ${expected.length} golden outputs differ by more than ${tolerance.toExponential()}; worst golden[${worst}]: model ${actual[worst]}, card ${expected[worst]}`,
  };
}

/** Verifies one manifest entry (`champion`, `previous`, …) in `files`; throws naming the file and the problem. */
export async function verifyEntry(files: RepoFiles, entry: ManifestEntry, role: string): Promise<VerifiedVersion> {
  const expectedPath = `${versionDir(entry.version)}/model.onnx`;
  if (entry.path !== expectedPath)
    throw new Error(`${MANIFEST_PATH}: ${role}.path ${entry.path} is not the registry path of ${entry.version}`);
  if (!(await files.exists(entry.path))) throw new Error(`${role} ${entry.version}: ${entry.path} does not exist`);
  const model = await files.read(entry.path);
  const actual = sha256Hex(model);
  if (actual !== entry.sha256) {
    throw new Error(
      `refusing ${role} ${entry.version}: ${entry.path} has sha256 ${actual}, but ${MANIFEST_PATH} names ${entry.sha256}`,
    );
  }
  const cardFile = `${versionDir(entry.version)}/${CARD_FILE}`;
  if (!(await files.exists(cardFile))) throw new Error(`${role} ${entry.version}: ${cardFile} does not exist`);
  const card = parseCard(await files.readText(cardFile), cardFile, {
    version: entry.version,
    sha256: entry.sha256,
    by: MANIFEST_PATH,
  });
  checkArtifact(card, model, entry.path, cardFile);
  const scorer = await loadOnnxScorer(model);
  try {
    const scores = await scorer.score(toModelInputs(card.golden.map((g) => g.input)));
    const golden = goldenProblem(
      card.golden.map((g) => g.probability),
      scores,
      GOLDEN_TOLERANCE,
    );
    if (golden.problem) throw new Error(`refusing ${role} ${entry.version}: ${entry.path}: ${golden.problem}`);
    return {
      version: entry.version,
      path: entry.path,
      sha256: actual,
      bytes: model.byteLength,
      card,
      goldenExamples: card.golden.length,
      goldenMaxDifference: golden.maxDifference,
    };
  } finally {
    await scorer.release();
  }
}

/** The manifest of a checkout and its verified champion. */
export async function verifyChampion(
  files: RepoFiles,
): Promise<{ manifest: ProductionManifest; champion: VerifiedVersion }> {
  const manifest = await readManifest(files);
  if (!manifest) throw new Error(`${MANIFEST_PATH} does not exist in ${files.root}: nothing to deploy`);
  return { manifest, champion: await verifyEntry(files, manifest.champion, 'champion') };
}
