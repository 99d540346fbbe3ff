/**
 * The deployment history is `git log -- manifests/production.json`: every commit that changed the
 * manifest, with the manifest as that commit left it and the trailers of its message.
 */
import type { SimpleGit } from 'simple-git';
import type { ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, parseManifest } from '../manifest/store.ts';
import { isPromotion, isReleaseStep, parseTrailers, revertedCommit, type Trailers } from './trailers.ts';
import { errorMessage } from '../util/errors.ts';

export interface ManifestCommit {
  commit: string;
  /** Committer date, ISO 8601. */
  date: string;
  subject: string;
  message: string;
  trailers: Trailers;
  /** `release-step`: a challenger put in shadow or canary (lib/release/challenger-step.ts). */
  kind: 'promotion' | 'release-step' | 'rollback' | 'other';
  /** The commit this one reverts, if it is a revert. */
  reverts: string | null;
  /** The manifest as this commit left it; null when the commit deleted it. */
  manifest: ProductionManifest | null;
}

const FIELD = '\u001f';
const RECORD = '\u001e';

/** Newest first. `limit` bounds how many commits are read (each needs a `git show`). */
export async function manifestHistory(git: SimpleGit, limit = Number.POSITIVE_INFINITY): Promise<ManifestCommit[]> {
  let raw: string;
  try {
    raw = await git.raw(['log', `--format=%H${FIELD}%cI${FIELD}%B${RECORD}`, '--', MANIFEST_PATH]);
  } catch (error) {
    // A repository without commits has no history yet.
    if (/does not have any commits|bad default revision/.test(errorMessage(error))) return [];
    throw error;
  }
  const out: ManifestCommit[] = [];
  for (const record of raw.split(RECORD)) {
    const trimmed = record.replace(/^\n+/, '');
    if (!trimmed) continue;
    if (out.length >= limit) break;
    const [commit, date, message] = trimmed.split(FIELD);
    const reverts = revertedCommit(message);
    out.push({
      commit,
      date,
      subject: message.split('\n')[0],
      message,
      trailers: parseTrailers(message),
      kind: isPromotion(message)
        ? 'promotion'
        : isReleaseStep(message)
          ? 'release-step'
          : reverts
            ? 'rollback'
            : 'other',
      reverts,
      manifest: await manifestAt(git, commit),
    });
  }
  return out;
}

/** The manifest as of a commit; null when the commit has none. */
export async function manifestAt(git: SimpleGit, commit: string): Promise<ProductionManifest | null> {
  let text: string;
  try {
    text = await git.show([`${commit}:${MANIFEST_PATH}`]);
  } catch {
    return null;
  }
  return parseManifest(text, `${MANIFEST_PATH} at ${commit.slice(0, 12)}`);
}

/** Refuses to start when tracked files have changes, or anything under the paths we write is untracked. */
export async function ensureCleanTree(git: SimpleGit, paths: string[], action: string): Promise<void> {
  const tracked = (await git.raw(['status', '--porcelain', '--untracked-files=no'])).trim();
  const ours = (await git.raw(['status', '--porcelain', '--untracked-files=all', '--', ...paths])).trim();
  const lines = [...new Set([...tracked.split('\n'), ...ours.split('\n')].filter(Boolean))];
  if (lines.length > 0) {
    const shown = lines
      .slice(0, 10)
      .map((l) => `    ${l}`)
      .join('\n');
    const more = lines.length > 10 ? `\n    … and ${lines.length - 10} more` : '';
    throw new Error(`refusing to ${action}: the working tree is dirty (commit or stash these first):\n${shown}${more}`);
  }
}
