/**
 * Progressive release as manifest changes, one git commit per step:
 *
 *   champion only → challenger in shadow (scores the same rows off the hot path, answers nothing)
 *                 → canary at a share (answers a sticky share of flights)
 *                 → champion (the old champion becomes previous, the rollback target)
 *
 * `stepManifest` is the pure transition (every refusal names the step that is allowed instead);
 * `releaseStep` checks the version against the registry and its gate evidence, writes the manifest
 * and REGISTRY.md and commits with trailers. The champion step is a promotion commit (the same
 * trailers as lib/release/promote.ts), so the rollback workflow reverts it like any promotion; a
 * shadow or canary step is reverted the same way (lib/release/rollback.ts), which is what an alert
 * during a canary does.
 */
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { ChallengerEntry, ManifestEntry, ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, readManifest, writeManifest } from '../manifest/store.ts';
import { REGISTRY_MD_PATH, regenerateRegistry } from '../registry/registry-md.ts';
import { artifactPath, EVIDENCE_FILE, readVersion, versionDir } from '../registry/registry.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import { parseEvidence } from './evidence.ts';
import { ensureCleanTree } from './manifest-history.ts';
import { evidenceProblems } from './promote.ts';
import { promotionMessage, releaseStepMessage } from './trailers.ts';

export const RELEASE_STEPS = ['shadow', 'canary', 'champion'] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

export interface StepRequest {
  step: ReleaseStep;
  version: string;
  /** Canary share of traffic, 0 < share < 1; only for the canary step. */
  share?: number;
  reason?: string;
}

export function parseReleaseStep(value: string): ReleaseStep {
  if ((RELEASE_STEPS as readonly string[]).includes(value)) return value as ReleaseStep;
  throw new Error(`step must be one of ${RELEASE_STEPS.join(', ')}, got ${JSON.stringify(value)}`);
}

/** Parses a canary share given as 0.1, 10% or 10 (percent when above 1). */
export function parseShare(text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  let share = Number(percent ? trimmed.slice(0, -1) : trimmed);
  if (percent || share > 1) share /= 100;
  if (!Number.isFinite(share) || trimmed === '' || !(share > 0 && share < 1))
    throw new Error(
      `canary share must be above 0 and below 100% (like 0.1 or 10%), got ${JSON.stringify(text)}; 100% is the champion step`,
    );
  return share;
}

const pct = (share: number) => `${Number((share * 100).toFixed(2))}%`;

function describeChallenger(c: ChallengerEntry): string {
  return c.mode === 'canary' ? `${c.version} (canary at ${pct(c.traffic)})` : `${c.version} (shadow)`;
}

/**
 * The manifest after a step; throws naming what is allowed instead. `entry` is the version's
 * registry entry (only the shadow step reads it: later steps take the manifest's challenger).
 */
export function stepManifest(
  current: ProductionManifest | null,
  request: StepRequest,
  entry: ManifestEntry,
  now: Date,
): ProductionManifest {
  const { step, version } = request;
  const refuse = (why: string) => new Error(`refusing step ${step} for ${version}: ${why}`);
  if (!current)
    throw refuse(`${MANIFEST_PATH} has no champion yet; the first model is promoted directly (the promote action)`);
  if (current.champion.version === version) throw refuse('it is already the champion');
  const challenger = current.challenger;
  if (challenger && challenger.version !== version)
    throw refuse(
      `the challenger is ${describeChallenger(challenger)}; one challenger at a time: promote it or roll its step back first`,
    );
  if (step !== 'canary' && request.share !== undefined && request.share !== 0)
    throw refuse(`a share of traffic belongs to the canary step only (${step} got ${request.share})`);
  const updatedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const base = { ...current, previous: current.previous ? { ...current.previous } : null, updatedAt };
  const reason = request.reason?.trim() ? ` (${request.reason.trim()})` : '';
  const entryOf = (e: ManifestEntry): ManifestEntry => ({ version: e.version, path: e.path, sha256: e.sha256 });

  if (step === 'shadow') {
    if (challenger?.mode === 'shadow') throw refuse('it is already in shadow; the next step is canary');
    return {
      ...base,
      challenger: { ...entryOf(challenger ?? entry), mode: 'shadow', traffic: 0 },
      reason: `${challenger ? 'step back' : 'shadow'} ${version} next to ${current.champion.version}${reason}`,
    };
  }
  if (!challenger) throw refuse('it is not the challenger; put it in shadow first (step shadow)');
  if (step === 'canary') {
    const share = request.share;
    if (share === undefined || !(share > 0 && share < 1))
      throw refuse(`the canary share must be above 0 and below 1, got ${share}; 100% is the champion step`);
    if (challenger.mode === 'canary' && challenger.traffic === share) throw refuse(`it is already at ${pct(share)}`);
    return {
      ...base,
      challenger: { ...entryOf(challenger), mode: 'canary', traffic: share },
      reason: `canary ${version} at ${pct(share)} next to ${current.champion.version}${reason}`,
    };
  }
  if (challenger.mode !== 'canary')
    throw refuse('it is in shadow and has answered no traffic; go through a canary first (step canary)');
  return {
    ...base,
    champion: entryOf(challenger),
    previous: { ...current.champion },
    challenger: null,
    reason: `promote ${version} over ${current.champion.version} after canary at ${pct(challenger.traffic)}${reason}`,
  };
}

export interface ReleaseStepOptions extends StepRequest {
  repoDir: string;
  /**
   * Where to take the version's registry folder from when the checkout does not have it yet (the
   * shadow step of a freshly gated candidate): a ref such as `origin/promote/<version>`, the branch
   * the promotion pull request committed it on.
   */
  candidateRef?: string;
  run?: { id?: string; url?: string };
  now?: () => Date;
}

export interface ReleaseStepResult {
  step: ReleaseStep;
  version: string;
  commit: string;
  before: ProductionManifest;
  manifest: ProductionManifest;
  /** The version's folder came from `candidateRef` in this commit. */
  addedToRegistry: boolean;
}

/** Commits one step on the current branch; nothing is written before every check passed. */
export async function releaseStep(options: ReleaseStepOptions): Promise<ReleaseStepResult> {
  const repoDir = path.resolve(options.repoDir);
  const git = simpleGit(repoDir);
  const files = nodeRepoFiles(repoDir);
  await ensureCleanTree(git, ['models', 'manifests'], `take step ${options.step}`);
  const current = await readManifest(files);
  const dir = versionDir(options.version);
  let addedToRegistry = false;
  if (!(await files.exists(dir))) {
    if (!options.candidateRef || options.step !== 'shadow')
      throw new Error(
        `refusing step ${options.step} for ${options.version}: ${dir} is not in the registry${options.step === 'shadow' ? ' and no candidate branch was given (the promotion pull request of a gated candidate has it)' : ''}`,
      );
    try {
      await git.raw(['checkout', options.candidateRef, '--', dir]);
    } catch (error) {
      throw new Error(
        `refusing step shadow for ${options.version}: ${options.candidateRef} has no ${dir} (${errorMessage(error).trim()})`,
      );
    }
    addedToRegistry = true;
  }
  const undo = async () => {
    await git.raw(['reset', '--quiet', '--', 'models', 'manifests']).catch(() => undefined);
    await git.raw(['checkout', 'HEAD', '--', 'manifests']).catch(() => undefined);
    if (addedToRegistry) await files.remove(dir).catch(() => undefined);
    await git.raw(['checkout', 'HEAD', '--', REGISTRY_MD_PATH]).catch(() => undefined);
  };
  try {
    // The artifact matches its card, the gate passed, and it passed against the champion in force.
    const stored = await readVersion(files, options.version);
    const evidenceFile = `${dir}/${EVIDENCE_FILE}`;
    if (!(await files.exists(evidenceFile)))
      throw new Error(
        `refusing step ${options.step} for ${options.version}: ${evidenceFile} is missing (gate it first)`,
      );
    const evidence = parseEvidence(await files.readText(evidenceFile), evidenceFile);
    const problems = evidenceProblems(evidence, stored.card, current, evidenceFile);
    if (problems.length > 0)
      throw new Error(`refusing step ${options.step} for ${options.version}:\n  - ${problems.join('\n  - ')}`);
    const entry = {
      version: options.version,
      path: artifactPath(options.version),
      sha256: stored.card.artifact.sha256,
    };
    const now = (options.now ?? (() => new Date()))();
    const manifest = stepManifest(current, options, entry, now);
    const before = current!;
    await writeManifest(files, manifest);
    await regenerateRegistry(files);
    const touched = [MANIFEST_PATH, REGISTRY_MD_PATH, ...(addedToRegistry ? [dir] : [])];
    await git.add(touched);
    const message =
      options.step === 'champion'
        ? promotionMessage({
            version: options.version,
            sha256: entry.sha256,
            previousVersion: before.champion.version,
            run: options.run ?? (stored.card.run ? { id: stored.card.run.id, url: stored.card.run.url } : undefined),
            evidencePath: evidenceFile,
            summary: `Champion ${options.version} replaces ${before.champion.version} (which stays ready as previous) after a canary at ${pct(before.challenger!.traffic)}; the gate passed ${evidence.summary.passed} checks. ${options.reason?.trim() ?? ''}`,
          })
        : releaseStepMessage({
            version: options.version,
            step: options.step,
            traffic: manifest.challenger!.traffic,
            champion: before.champion.version,
            reason: options.reason,
            run: options.run,
          });
    await git.raw(['commit', '--quiet', '-m', message, '--', ...touched]);
    const commit = (await git.revparse(['HEAD'])).trim();
    return { step: options.step, version: options.version, commit, before, manifest, addedToRegistry };
  } catch (error) {
    await undo();
    throw error;
  }
}
