/**
 * Rollback is `git revert` of a promotion commit: the manifest returns byte for byte to what it
 * was before that promotion, so champion and previous are exactly restored. The rolled-back
 * version's folder stays in the registry (artifacts are immutable and its evidence matters for the
 * post-mortem); `models/REGISTRY.md` is regenerated and lists it as retired.
 *
 * By hand, `git revert <promotion commit>` restores the same manifest (it also removes the
 * version's folder); either way the service follows the manifest.
 */
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, readManifest } from '../manifest/store.ts';
import { REGISTRY_MD_PATH, regenerateRegistry } from '../registry/registry-md.ts';
import { versionDir } from '../registry/registry.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import { ensureCleanTree, manifestHistory, type ManifestCommit } from './manifest-history.ts';
import { currentBranch } from './promote.ts';
import { rollbackMessage } from './trailers.ts';
import { errorMessage } from '../util/errors.ts';

export interface RollbackOptions {
  repoDir: string;
  /** The promotion commit to revert; default the last promotion that has not been reverted. */
  commit?: string;
  /** Recorded in the commit message (e.g. the alert that fired). */
  reason?: string;
}

export interface RollbackResult {
  /** The promotion commit that was reverted. */
  reverted: string;
  rolledBackVersion: string;
  restoredChampion: string;
  commit: string;
  manifest: ProductionManifest;
}

/**
 * The newest promotion or release step (of `version`, when given) that no later commit has
 * reverted, or null. Pure, over the manifest history (newest first).
 */
export function newestUnreverted(history: ManifestCommit[], version?: string): ManifestCommit | null {
  const reverted = new Set<string>();
  for (const entry of history) {
    if (entry.reverts) reverted.add(entry.reverts);
    // A shadow or canary step is undone the same way: an alert during a canary reverts it.
    if (entry.kind !== 'promotion' && entry.kind !== 'release-step') continue;
    if (version !== undefined && entry.trailers['Model-Version'] !== version) continue;
    const isReverted = [...reverted].some((sha) => entry.commit.startsWith(sha) || sha.startsWith(entry.commit));
    if (!isReverted) return entry;
  }
  return null;
}

/** Which promotion to revert: the newest promotion or release step no later commit has reverted. */
export function rollbackTarget(history: ManifestCommit[]): ManifestCommit {
  const target = newestUnreverted(history);
  if (target) return target;
  throw new Error(
    `nothing to roll back: no promotion or release step in the history of ${MANIFEST_PATH} that has not been reverted already`,
  );
}

async function resolveCommit(git: SimpleGit, ref: string): Promise<string> {
  let sha = '';
  try {
    sha = (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    sha = '';
  }
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`--commit ${ref} is not a commit in this repository`);
  return sha;
}

export async function rollback(options: RollbackOptions): Promise<RollbackResult> {
  const repoDir = path.resolve(options.repoDir);
  const git = simpleGit(repoDir);
  const files = nodeRepoFiles(repoDir);
  if (!(await git.checkIsRepo())) throw new Error(`refusing to roll back: ${repoDir} is not a git repository`);
  if ((await currentBranch(git)) === null)
    throw new Error('refusing to roll back: HEAD is detached; check out a branch first');
  await ensureCleanTree(git, ['models', 'manifests'], 'roll back');

  const history = await manifestHistory(git);
  let target: ManifestCommit;
  if (options.commit) {
    const sha = await resolveCommit(git, options.commit);
    const found = history.find((h) => h.commit === sha);
    if (!found)
      throw new Error(
        `commit ${options.commit} did not change ${MANIFEST_PATH}; name a promotion commit (git log -- ${MANIFEST_PATH})`,
      );
    if (found.kind !== 'promotion' && found.kind !== 'release-step')
      throw new Error(
        `commit ${options.commit} ("${found.subject}") is not a promotion (no Model-Version/Gate-Verdict trailers) or release step (no Release-Step trailer)`,
      );
    const reverter = history.find((h) => h.reverts && sha.startsWith(h.reverts));
    if (reverter)
      throw new Error(
        `promotion ${sha.slice(0, 12)} was already rolled back by ${reverter.commit.slice(0, 12)} ("${reverter.subject}")`,
      );
    target = found;
  } else {
    target = rollbackTarget(history);
  }
  const rolledBack = target.trailers['Model-Version'];
  const step = target.kind === 'release-step' ? target.subject : undefined;
  const previousVersion = target.trailers['Previous-Version'];
  const current = await readManifest(files);
  if (step) {
    if (current?.challenger?.version !== rolledBack)
      throw new Error(
        `refusing to roll back "${step}": ${rolledBack} is not the challenger (${MANIFEST_PATH} names ${current?.challenger?.version ?? 'none'})`,
      );
  } else if (!previousVersion || previousVersion === 'none') {
    throw new Error(
      `refusing to roll back ${rolledBack}: promotion ${target.commit.slice(0, 12)} made the first champion, so there is no previous version to return to`,
    );
  } else if (current?.champion.version !== rolledBack) {
    throw new Error(
      `refusing to roll back ${rolledBack}: it is not the champion (${MANIFEST_PATH} names ${current?.champion.version ?? 'none'}); name the promotion of the current champion`,
    );
  }

  try {
    await git.raw(['revert', '--no-commit', target.commit]);
  } catch (error) {
    // REGISTRY.md is generated and regenerated below: it conflicts whenever an earlier rollback
    // regenerated it (the second rollback in a row), which is no reason to refuse.
    const conflicted = (await git.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => ''))
      .split('\n')
      .filter(Boolean);
    if (conflicted.length === 1 && conflicted[0] === REGISTRY_MD_PATH) {
      await git.raw(['checkout', 'HEAD', '--', REGISTRY_MD_PATH]);
    } else {
      await git.raw(['revert', '--abort']).catch(() => undefined);
      throw new Error(
        `cannot revert ${target.commit.slice(0, 12)} cleanly (${MANIFEST_PATH} or the registry changed since); nothing was changed. git said: ${errorMessage(error).trim()}`,
      );
    }
  }
  const dir = versionDir(rolledBack);
  try {
    // Keep the rolled-back version's files: the revert would delete them.
    await git.raw(['checkout', 'HEAD', '--', dir]);
    await regenerateRegistry(files);
    const manifest = await readManifest(files);
    if (!manifest) throw new Error(`reverting ${target.commit.slice(0, 12)} would delete ${MANIFEST_PATH}`);
    await git.add([dir, MANIFEST_PATH, REGISTRY_MD_PATH]);
    const message = rollbackMessage({
      rolledBack,
      restored: manifest.champion.version,
      reverts: target.commit,
      reason: options.reason,
      step,
    });
    await git.raw(['commit', '--quiet', '-m', message]);
    const commit = (await git.revparse(['HEAD'])).trim();
    return {
      reverted: target.commit,
      rolledBackVersion: rolledBack,
      restoredChampion: manifest.champion.version,
      commit,
      manifest,
    };
  } catch (error) {
    // Put our paths back exactly as HEAD has them (the tree was clean there before the revert).
    await git.raw(['revert', '--quit']).catch(() => undefined);
    await git.raw(['reset', '--quiet', '--', 'models', 'manifests']).catch(() => undefined);
    await git.raw(['checkout', 'HEAD', '--', 'models', 'manifests']).catch(() => undefined);
    await git.raw(['clean', '--quiet', '-fd', '--', 'models', 'manifests']).catch(() => undefined);
    throw error;
  }
}
