/**
 * What is deployed, since when, and what was deployed at any past instant — read from the git
 * history of the manifest.
 */
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { DataClock, ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, parseManifest, readDataClock, readManifest } from '../manifest/store.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import { manifestHistory, type ManifestCommit } from './manifest-history.ts';
import { errorMessage } from '../util/errors.ts';

export interface ChangeRef {
  commit: string;
  date: string;
  subject: string;
}

export interface DeploymentStatus {
  manifest: ProductionManifest | null;
  /** The working tree's manifest differs from the last commit's. */
  uncommitted: boolean;
  champion: (ProductionManifest['champion'] & { since: ChangeRef | null }) | null;
  previous: ProductionManifest['previous'];
  challenger: ProductionManifest['challenger'];
  dataClock: DataClock | null;
  /** Manifest changes, newest first. */
  history: (ChangeRef & { kind: ManifestCommit['kind']; champion: string | null; previous: string | null })[];
}

function ref(entry: ManifestCommit): ChangeRef {
  return { commit: entry.commit, date: entry.date, subject: entry.subject };
}

/**
 * The commit since which `version` has been champion without interruption: the oldest of the
 * newest run of history entries that name it (history is newest first).
 */
export function championSince(history: ManifestCommit[], version: string): ManifestCommit | null {
  let since: ManifestCommit | null = null;
  for (const entry of history) {
    if (entry.manifest?.champion.version !== version) break;
    since = entry;
  }
  return since;
}

export async function deploymentStatus(options: { repoDir: string; historyLimit?: number }): Promise<DeploymentStatus> {
  const repoDir = path.resolve(options.repoDir);
  const git = simpleGit(repoDir);
  const files = nodeRepoFiles(repoDir);
  const manifest = await readManifest(files);
  const history = await manifestHistory(git, options.historyLimit ?? 50);
  const head = history[0]?.manifest ?? null;
  const uncommitted = JSON.stringify(head) !== JSON.stringify(manifest);
  const since = manifest && !uncommitted ? championSince(history, manifest.champion.version) : null;
  return {
    manifest,
    uncommitted,
    champion: manifest ? { ...manifest.champion, since: since ? ref(since) : null } : null,
    previous: manifest?.previous ?? null,
    challenger: manifest?.challenger ?? null,
    dataClock: await readDataClock(files),
    history: history.map((h) => ({
      ...ref(h),
      kind: h.kind,
      champion: h.manifest?.champion.version ?? null,
      previous: h.manifest?.previous?.version ?? null,
    })),
  };
}

/** The manifest in force at `instant` (the last manifest commit at or before it), or null. */
export async function manifestAtTime(options: {
  repoDir: string;
  instant: string;
}): Promise<{ commit: ChangeRef; manifest: ProductionManifest | null } | null> {
  const git = simpleGit(path.resolve(options.repoDir));
  const ms = Date.parse(options.instant);
  if (Number.isNaN(ms)) throw new Error(`--at ${options.instant} is not an ISO date`);
  const out = (
    await git.raw([
      'log',
      '-1',
      `--before=${new Date(ms).toISOString()}`,
      '--format=%H%x1f%cI%x1f%s',
      '--',
      MANIFEST_PATH,
    ])
  ).trim();
  if (!out) return null;
  const [commit, date, subject] = out.split('\u001f');
  let manifest: ProductionManifest | null = null;
  try {
    manifest = parseManifest(
      await git.show([`${commit}:${MANIFEST_PATH}`]),
      `${MANIFEST_PATH} at ${commit.slice(0, 12)}`,
    );
  } catch (error) {
    if (!/does not exist|exists on disk, but not in/.test(errorMessage(error))) throw error;
  }
  return { commit: { commit, date, subject }, manifest };
}
