/**
 * Checks that what a valid manifest points at is really there: each artifact path exists and its
 * bytes hash to the sha256 the manifest names. Kept apart from schema validation because it needs
 * the repository's files, not just the JSON.
 */
import { sha256Hex } from '../util/hash.ts';
import type { RepoFiles } from '../util/repo-files.ts';
import type { ManifestEntry, ProductionManifest } from './schema.ts';

export interface ArtifactProblem {
  field: 'champion' | 'previous' | 'challenger';
  message: string;
}

export async function manifestArtifactProblems(
  files: RepoFiles,
  manifest: ProductionManifest,
  root = 'manifest',
): Promise<ArtifactProblem[]> {
  const problems: ArtifactProblem[] = [];
  const entries: [ArtifactProblem['field'], ManifestEntry | null][] = [
    ['champion', manifest.champion],
    ['previous', manifest.previous],
    ['challenger', manifest.challenger],
  ];
  for (const [field, entry] of entries) {
    if (!entry) continue;
    const expected = `models/flight-delay/${entry.version}/model.onnx`;
    if (entry.path !== expected) {
      problems.push({
        field,
        message: `${root}.${field}.path ${entry.path} is not the registry path of version ${entry.version} (${expected})`,
      });
    }
    if (!(await files.exists(entry.path))) {
      problems.push({ field, message: `${root}.${field}.path ${entry.path} does not exist` });
      continue;
    }
    const actual = sha256Hex(await files.read(entry.path));
    if (actual !== entry.sha256) {
      problems.push({
        field,
        message: `${root}.${field}.sha256 does not match ${entry.path} (manifest ${entry.sha256}, file ${actual})`,
      });
    }
  }
  return problems;
}

/** Throws one error listing every problem. */
export async function verifyManifestArtifacts(files: RepoFiles, manifest: ProductionManifest): Promise<void> {
  const problems = await manifestArtifactProblems(files, manifest);
  if (problems.length > 0)
    throw new Error(
      `manifests/production.json points at missing or altered artifacts:\n  - ${problems.map((p) => p.message).join('\n  - ')}`,
    );
}
