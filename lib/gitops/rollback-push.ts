/**
 * Rollback through Actions: the revert commit (lib/release/rollback.ts) lands on the default branch
 * by a direct push, not through a pull request. A rollback is an emergency measure decided by a
 * person (who dispatched it); the version it restores passed the gate when it was promoted, and it is
 * verified again here (sha256, card, ONNX Runtime, golden outputs) before anything is pushed. A pull
 * request would add minutes of review to a step whose bar is seconds.
 *
 * Branch protection still applies: GitHub refuses a push to a protected branch unless the pushed
 * commit already has the required statuses. So the commit is first pushed to `rollback/<version>`,
 * gets its `model-gate` status ("rollback verified"), and only then moves the default branch (a
 * fast-forward; a moved branch is refused and nothing changes). The push is made with the App's
 * token, so the deploy workflow runs on it.
 */
import { simpleGit } from 'simple-git';
import type { Forge } from '../forge/forge.ts';
import { manifestHistory } from '../release/manifest-history.ts';
import { newestUnreverted, rollback, type RollbackResult } from '../release/rollback.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import type { ActionsRun } from '../util/run-context.ts';
import { type CommitIdentity, DEFAULT_IDENTITY, pushRefs, setCommitIdentity } from './git-remote.ts';
import { MODEL_GATE_CONTEXT } from './promotion-pr.ts';
import { type VerifiedVersion, verifyChampion } from './verify-version.ts';

export interface RollbackPushOptions {
  /** Checkout of the default branch with its history (fetch-depth 0), on that branch. */
  repoDir: string;
  forge: Forge;
  /** An App installation token: pushes by it start the deploy workflow (GITHUB_TOKEN's would not). */
  pushToken: string;
  /** Roll back this version's promotion (default: the last promotion not yet rolled back). */
  version?: string;
  /** Or name the promotion commit. */
  commit?: string;
  reason?: string;
  run?: ActionsRun;
  identity?: CommitIdentity;
  log?: (line: string) => void;
}

export interface RollbackPushResult extends RollbackResult {
  branch: string;
  restored: VerifiedVersion;
}

/**
 * What to revert to roll `version` back: its newest promotion or release step (shadow, canary) that
 * no later commit reverted — during a canary that is the canary step, not an older promotion. When
 * every one was reverted already, its newest promotion (rollback() then says by which commit).
 */
export async function promotionCommitOf(repoDir: string, version: string): Promise<string> {
  const history = await manifestHistory(simpleGit(repoDir));
  const ofVersion = history.filter(
    (h) => (h.kind === 'promotion' || h.kind === 'release-step') && h.trailers['Model-Version'] === version,
  );
  const target = newestUnreverted(history, version) ?? ofVersion.find((h) => h.kind === 'promotion') ?? ofVersion[0];
  if (!target)
    throw new Error(`no promotion or release step of ${version} in the history of manifests/production.json`);
  return target.commit;
}

export async function rollbackAndPush(options: RollbackPushOptions): Promise<RollbackPushResult> {
  const log = options.log ?? (() => {});
  if (options.version && options.commit) throw new Error('name a version or a commit to roll back, not both');
  const git = simpleGit(options.repoDir);
  const branch = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
  if (!branch) throw new Error(`${options.repoDir}: HEAD is detached; check out the default branch`);
  await setCommitIdentity(options.repoDir, options.identity ?? DEFAULT_IDENTITY);
  const commit = options.version ? await promotionCommitOf(options.repoDir, options.version) : options.commit;
  const reason = [options.reason?.trim(), options.run ? `run ${options.run.url}` : ''].filter(Boolean).join('; ');
  const result = await rollback({ repoDir: options.repoDir, commit, reason: reason || undefined });
  log(
    `reverted ${result.reverted.slice(0, 12)} (${result.rolledBackVersion}): ${result.commit.slice(0, 12)} restores ${result.restoredChampion}`,
  );
  const { champion: restored } = await verifyChampion(nodeRepoFiles(options.repoDir));
  log(
    `verified ${restored.version}: sha256 ${restored.sha256}, ONNX Runtime loads it, ${restored.goldenExamples} golden outputs`,
  );

  const staging = `rollback/${result.rolledBackVersion}`;
  await pushRefs(options.repoDir, options.pushToken, [`${result.commit}:refs/heads/${staging}`], { force: true });
  await options.forge.createCommitStatus(result.commit, {
    state: 'success',
    context: MODEL_GATE_CONTEXT,
    description: `rollback to ${restored.version}: artifact verified (sha256, ONNX Runtime, golden outputs)`,
    targetUrl: options.run?.url,
  });
  try {
    await pushRefs(options.repoDir, options.pushToken, [`${result.commit}:refs/heads/${branch}`]);
    log(`pushed ${result.commit.slice(0, 12)} to ${branch}`);
  } finally {
    await options.forge.deleteRef(`heads/${staging}`).catch(() => undefined);
  }
  return { ...result, branch, restored };
}
