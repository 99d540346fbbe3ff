/**
 * Promotion as one git commit: the candidate's artifact, card and gate evidence go into the
 * registry, the manifest names it champion (the old champion becomes previous, the rollback
 * target), `models/REGISTRY.md` is regenerated, and the commit's trailers link it all.
 *
 * Every refusal happens before anything is written; if writing or committing fails midway the
 * files are put back as they were (and a branch we created is removed).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH, readManifest, writeManifest } from '../manifest/store.ts';
import type { ModelCard } from '../registry/card.ts';
import { REGISTRY_MD_PATH, regenerateRegistry } from '../registry/registry-md.ts';
import {
  CARD_FILE,
  EVIDENCE_FILE,
  MODEL_FILE,
  REPORT_FILE,
  addVersion,
  artifactPath,
  checkArtifact,
  parseCard,
  versionDir,
} from '../registry/registry.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import { type EvidenceHead, parseEvidence } from './evidence.ts';
import { ensureCleanTree } from './manifest-history.ts';
import { promotionMessage } from './trailers.ts';
import { errorMessage } from '../util/errors.ts';

export interface PromoteOptions {
  repoDir: string;
  /** Folder with model.onnx, card.json and the gate's evidence.json (and gate-report.md). */
  candidateDir: string;
  /** Default: `<candidateDir>/evidence.json`. When given it is written as the registry's evidence.json. */
  evidence?: EvidenceHead;
  /**
   * Default `true`: create `promote/<version>` and commit there (the pull-request flow: automation
   * never commits to the current branch by accident). A string names the branch; `false` commits on
   * the current branch (the local flow, `npm run promote` without --branch).
   */
  branch?: boolean | string;
  /** The run that produced the candidate; default the card's `run`. */
  run?: { id?: string; url?: string };
  now?: () => Date;
  /**
   * Commit a candidate whose gate verdict is fail (every other check still applies): the promotion
   * pull request of a failing candidate, which branch protection then refuses to merge
   * (lib/gitops/promotion-pr.ts). Default false: only a passing candidate is promoted.
   */
  allowFailedGate?: boolean;
}

export interface PromoteResult {
  version: string;
  sha256: string;
  previousVersion: string | null;
  commit: string;
  branch: string;
  manifest: ProductionManifest;
}

async function readCandidateFile(dir: string, file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path.join(dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`refusing to promote: ${path.join(dir, file)} is missing (${what})`);
    throw error;
  }
}

/** The checks that tie the evidence to this candidate and to the champion it was measured against. */
export function evidenceProblems(
  evidence: EvidenceHead,
  card: ModelCard,
  manifest: ProductionManifest | null,
  file: string,
  allowFailedGate = false,
): string[] {
  const problems: string[] = [];
  if (evidence.verdict !== 'pass' && !allowFailedGate) {
    problems.push(
      `${file}: the gate verdict is "${evidence.verdict}" (${evidence.summary.failed} failed checks); only a passing candidate is promoted`,
    );
  }
  if (evidence.candidate.sha256 !== card.artifact.sha256) {
    problems.push(
      `${file}: candidate.sha256 ${evidence.candidate.sha256} is not the candidate's artifact (${card.artifact.sha256}); re-run the gate`,
    );
  }
  if (evidence.candidate.version !== card.version) {
    problems.push(`${file}: candidate.version ${evidence.candidate.version} is not the card's version ${card.version}`);
  }
  const gatedAgainst = evidence.champion?.version ?? null;
  const current = manifest?.champion.version ?? null;
  if (
    gatedAgainst !== current ||
    (manifest && evidence.champion && evidence.champion.sha256 !== manifest.champion.sha256)
  ) {
    problems.push(
      `${file}: the gate compared against champion ${gatedAgainst ?? 'none'}, but ${MANIFEST_PATH} now names ${current ?? 'none'}; re-run the gate`,
    );
  }
  if (manifest && current === card.version) problems.push(`${card.version} is already the champion`);
  return problems;
}

export function promotedManifest(current: ProductionManifest | null, card: ModelCard, now: Date): ProductionManifest {
  const champion = { version: card.version, path: artifactPath(card.version), sha256: card.artifact.sha256 };
  const previous = current ? { ...current.champion } : null;
  // A challenger that just became champion is no longer a challenger.
  const challenger =
    current?.challenger && current.challenger.version !== card.version ? { ...current.challenger } : null;
  return {
    schemaVersion: 1,
    model: 'flight-delay',
    champion,
    previous,
    challenger,
    reason: current
      ? `promote ${card.version} over ${current.champion.version}`
      : `promote ${card.version} (first champion)`,
    updatedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

function fmt(x: number | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

export async function promote(options: PromoteOptions): Promise<PromoteResult> {
  const repoDir = path.resolve(options.repoDir);
  const candidateDir = path.resolve(options.candidateDir);
  const git: SimpleGit = simpleGit(repoDir);
  const files = nodeRepoFiles(repoDir);
  if (!(await git.checkIsRepo())) throw new Error(`refusing to promote: ${repoDir} is not a git repository`);
  await ensureCleanTree(git, ['models', 'manifests'], 'promote');

  // Read and check everything before writing anything.
  const model = new Uint8Array(await readCandidateFile(candidateDir, MODEL_FILE, 'the artifact'));
  const cardText = (await readCandidateFile(candidateDir, CARD_FILE, 'the model card')).toString('utf8');
  const cardFile = path.join(candidateDir, CARD_FILE);
  const card = parseCard(cardText, cardFile);
  try {
    checkArtifact(card, model, path.join(candidateDir, MODEL_FILE), cardFile);
  } catch (error) {
    throw new Error(`refusing to promote: ${errorMessage(error)}`);
  }
  const evidenceFile = path.join(candidateDir, EVIDENCE_FILE);
  let evidenceText: string;
  let evidence: EvidenceHead;
  if (options.evidence) {
    evidence = options.evidence;
    evidenceText = `${JSON.stringify(options.evidence, null, 2)}\n`;
  } else {
    evidenceText = (
      await readCandidateFile(candidateDir, EVIDENCE_FILE, 'run the gate first: npm run gate -- --candidate <dir>')
    ).toString('utf8');
    try {
      evidence = parseEvidence(evidenceText, evidenceFile);
    } catch (error) {
      throw new Error(`refusing to promote: ${errorMessage(error)}`);
    }
  }
  let reportText: string | undefined;
  try {
    reportText = await readFile(path.join(candidateDir, REPORT_FILE), 'utf8');
  } catch {
    reportText = undefined;
  }
  const current = await readManifest(files);
  const problems = evidenceProblems(
    evidence,
    card,
    current,
    options.evidence ? 'the evidence' : evidenceFile,
    options.allowFailedGate,
  );
  const dir = versionDir(card.version);
  if (await files.exists(dir)) {
    problems.push(
      `${dir} already exists in the registry; versions are immutable (to re-deploy a rolled-back version, git revert its rollback commit)`,
    );
  }
  if (problems.length > 0) throw new Error(`refusing to promote ${card.version}:\n  - ${problems.join('\n  - ')}`);

  const originalBranch = await currentBranch(git);
  const branchOption = options.branch ?? true;
  if (originalBranch === null && branchOption === false)
    throw new Error('refusing to promote: HEAD is detached; check out a branch or ask for a promotion branch');
  const branchName =
    branchOption === true ? `promote/${card.version}` : typeof branchOption === 'string' ? branchOption : null;
  if (branchName) {
    const exists = (await git.branchLocal()).all.includes(branchName);
    if (exists) throw new Error(`refusing to promote: branch ${branchName} already exists`);
    await git.checkoutLocalBranch(branchName);
  }

  const manifestTracked = current !== null;
  const registryTracked = (await git.raw(['ls-files', '--', REGISTRY_MD_PATH])).trim() !== '';
  const touched = [dir, MANIFEST_PATH, REGISTRY_MD_PATH];
  try {
    const manifest = promotedManifest(current, card, (options.now ?? (() => new Date()))());
    await addVersion(files, { model, cardText, evidenceText, reportText }, candidateDir);
    await writeManifest(files, manifest);
    await regenerateRegistry(files);
    await git.add(touched);
    const run = options.run ?? (card.run ? { id: card.run.id, url: card.run.url } : undefined);
    const m = card.metrics.evaluation;
    const counts =
      evidence.verdict === 'pass'
        ? `; the gate passed ${evidence.summary.passed} checks (${evidence.summary.skipped} skipped)`
        : `; the gate FAILED ${evidence.summary.failed} of ${evidence.summary.total} checks: not to be merged`;
    const summary = current
      ? `Champion ${card.version} (eval AUC ${fmt(m.auc)}, recall@20% ${fmt(m.recallAtBudget)}) replaces ${current.champion.version}, which stays ready as previous${counts}.`
      : `First champion ${card.version} (eval AUC ${fmt(m.auc)}, recall@20% ${fmt(m.recallAtBudget)})${counts}.`;
    const message = promotionMessage({
      version: card.version,
      sha256: card.artifact.sha256,
      previousVersion: current?.champion.version ?? null,
      run,
      evidencePath: `${dir}/${EVIDENCE_FILE}`,
      summary,
    });
    // Commit only our paths, whatever else might be staged.
    await git.raw(['commit', '--quiet', '-m', message, '--', ...touched]);
    const commit = (await git.revparse(['HEAD'])).trim();
    return {
      version: card.version,
      sha256: card.artifact.sha256,
      previousVersion: current?.champion.version ?? null,
      commit,
      branch: (branchName ?? originalBranch)!,
      manifest,
    };
  } catch (error) {
    await undo(git, files, { dir, manifestTracked, registryTracked, originalBranch, branchName });
    throw error;
  }
}

async function undo(
  git: SimpleGit,
  files: ReturnType<typeof nodeRepoFiles>,
  state: {
    dir: string;
    manifestTracked: boolean;
    registryTracked: boolean;
    originalBranch: string | null;
    branchName: string | null;
  },
): Promise<void> {
  const quietly = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch {
      // Best effort: the original error is what the caller needs to see.
    }
  };
  await quietly(() => git.raw(['reset', '--quiet', '--', state.dir, MANIFEST_PATH, REGISTRY_MD_PATH]));
  await quietly(() => files.remove(state.dir));
  for (const [file, tracked] of [
    [MANIFEST_PATH, state.manifestTracked],
    [REGISTRY_MD_PATH, state.registryTracked],
  ] as const) {
    await quietly(() => (tracked ? git.raw(['checkout', '--', file]) : files.remove(file)));
  }
  if (state.branchName) {
    await quietly(() => git.raw(['checkout', '--quiet', state.originalBranch ?? '-']));
    await quietly(() => git.raw(['branch', '-D', state.branchName!]));
  }
}

/** The checked-out branch (also on a repository without commits yet); null when HEAD is detached. */
export async function currentBranch(git: SimpleGit): Promise<string | null> {
  try {
    return (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim() || null;
  } catch {
    return null;
  }
}
