/**
 * The promotion pull request: the candidate that passed the gate is committed on `promote/<version>`
 * (lib/release/promote.ts: artifact, card, evidence, manifest, REGISTRY.md, trailers), the branch is
 * pushed with the App's token, and one pull request per version is opened or updated. Its body links
 * the run; the gate report is one comment, kept in place by a hidden marker on re-runs; the
 * `model-gate` commit status on the head is what branch protection requires before a merge.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { GateEvidence } from '../../gates/evidence.ts';
import { REPORT_MARKER } from '../../gates/report.ts';
import { upsertMarkedComment } from '../forge/comments.ts';
import type { CommitState, Forge, ForgeComment, ForgePullRequest } from '../forge/forge.ts';
import type { DataClock } from '../manifest/schema.ts';
import { DATA_CLOCK_PATH, readDataClock, writeDataClock } from '../manifest/store.ts';
import { parseEvidence } from '../release/evidence.ts';
import { promote, type PromoteResult } from '../release/promote.ts';
import { EVIDENCE_FILE, REPORT_FILE, versionDir } from '../registry/registry.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import type { ActionsRun } from '../util/run-context.ts';
import { type CommitIdentity, DEFAULT_IDENTITY, pushRefs, setCommitIdentity } from './git-remote.ts';

/** The status context branch protection requires, and the key of the report comment. */
export const MODEL_GATE_CONTEXT = 'model-gate';
/** GitHub keeps at most 140 characters of a status description. */
const STATUS_DESCRIPTION_MAX = 140;

const PROMOTION_PREFIX = 'promote/';

export function promotionBranch(version: string): string {
  return `${PROMOTION_PREFIX}${version}`;
}

export interface PublishPromotionOptions {
  /** A checkout of the base branch (clean under models/ and manifests/). */
  repoDir: string;
  /** Folder with model.onnx, card.json and the gate's evidence.json and gate-report.md. */
  candidateDir: string;
  forge: Forge;
  /** Pushes `promote/<version>`: an App installation token, so the pull request starts workflows. */
  pushToken: string;
  /** Default: the repository's default branch. */
  base?: string;
  /** Recorded on the branch before the promotion commit (the data clock this run advanced to). */
  dataClock?: DataClock | null;
  /** The run that trained and gated the candidate. */
  run?: ActionsRun;
  /** Why this run happened (dispatch input, "scheduled"). */
  reason?: string;
  /**
   * A candidate that failed the gate still gets its pull request, with the failing report and a
   * failing `model-gate`, so branch protection refuses the merge and the evidence is reviewable in
   * one place. Default false: a failing candidate is refused before anything is pushed.
   */
  publishFailing?: boolean;
  identity?: CommitIdentity;
  log?: (line: string) => void;
}

export interface PublishedPromotion {
  promotion: PromoteResult;
  branch: string;
  headSha: string;
  pullRequest: ForgePullRequest;
  pullRequestCreated: boolean;
  comment: ForgeComment;
  evidence: GateEvidence;
  /** Older promotion pull requests whose candidate failed the gate, closed as superseded by this one. */
  superseded: number[];
}

/** The report without its own marker line: the comment helper adds the marker. */
export function reportCommentBody(report: string): string {
  return report.startsWith(REPORT_MARKER) ? report.slice(REPORT_MARKER.length).replace(/^\n/, '') : report;
}

const f4 = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '—');

/** One line for the `model-gate` status (≤ 140 characters, as GitHub keeps). */
export function gateStatusDescription(evidence: GateEvidence, prefix = ''): string {
  const m = evidence.metrics;
  const versus = m.champion ? ` vs ${f4(m.champion.auc)}` : '';
  const text =
    evidence.verdict === 'pass'
      ? `${prefix}PASS ${evidence.summary.passed} checks; AUC ${f4(m.candidate.auc)}${versus}`
      : `${prefix}FAIL ${evidence.summary.failed} of ${evidence.summary.total}: ${evidence.checks
          .filter((c) => c.status === 'fail')
          .map((c) => c.id)
          .join(', ')}`;
  return text.length <= STATUS_DESCRIPTION_MAX ? text : `${text.slice(0, STATUS_DESCRIPTION_MAX - 1)}…`;
}

/** The failing checks, one line each, with the figure and the rule: what `core.setFailed` names. */
export function failedChecks(evidence: GateEvidence, max = 5): string[] {
  const failing = evidence.checks.filter((c) => c.status === 'fail');
  const lines = failing.slice(0, max).map((c) => `${c.id}: ${c.detail} (threshold ${c.threshold})`);
  if (failing.length > max) lines.push(`… and ${failing.length - max} more failing checks (see the report)`);
  return lines;
}

export function gateStatusState(evidence: GateEvidence): CommitState {
  return evidence.verdict === 'pass' ? 'success' : 'failure';
}

/** The pull request's description: what is promoted, by which run, on what evidence, and how to undo it. */
export function promotionBody(input: {
  evidence: GateEvidence;
  promotion: PromoteResult;
  repository: string;
  run?: ActionsRun;
  reason?: string;
  dataClock?: DataClock | null;
}): string {
  const { evidence: e, promotion: p, run } = input;
  const dir = versionDir(p.version);
  const budget = Math.round(e.policy.values.alertBudget * 100);
  const failing = e.verdict !== 'pass';
  const lines = [
    ...(failing
      ? [
          `> [!CAUTION]`,
          `> **This candidate failed the gate** (${e.summary.failed} of ${e.summary.total} checks): \`${MODEL_GATE_CONTEXT}\` is failure, so branch protection refuses to merge it. It stays open as the record of the attempt; close it, or change the data or parameters and train again.`,
          '',
        ]
      : []),
    `${failing ? 'Would promote' : 'Promotes'} **\`${p.version}\`** to champion${p.previousVersion ? `, replacing \`${p.previousVersion}\` (which stays ready as \`previous\`)` : ' (the first champion)'}.`,
    '',
    `| | candidate \`${e.candidate.version}\` | champion ${e.champion ? `\`${e.champion.version}\`` : '—'} |`,
    '|---|---:|---:|',
    `| AUC | ${f4(e.metrics.candidate.auc)} | ${f4(e.metrics.champion?.auc)} |`,
    `| recall@${budget}% | ${f4(e.metrics.candidate.recallAtBudget)} | ${f4(e.metrics.champion?.recallAtBudget)} |`,
    '',
    `- **Run**: ${run ? `[${run.workflow ?? 'workflow'} run ${run.id}](${run.url})` : 'local'}${run?.trigger ? ` (${run.trigger})` : ''}${input.reason ? ` — ${input.reason}` : ''}`,
    `- **Evaluation**: ${e.evaluation.rows.toLocaleString('en-US')} flights, ${e.evaluation.start} → ${e.evaluation.end}, unseen by both models`,
    `- **Gate**: ${e.verdict.toUpperCase()} — ${e.summary.passed} passed, ${e.summary.failed} failed, ${e.summary.skipped} skipped; the report is the \`${MODEL_GATE_CONTEXT}\` comment below, the evidence is committed as \`${dir}/${EVIDENCE_FILE}\``,
    `- **Artifact**: \`${dir}/model.onnx\`, sha256 \`${p.sha256}\` (pinned in \`manifests/production.json\`); ${failing ? 'not attested (only a candidate that passes is)' : `provenance: \`gh attestation verify ${dir}/model.onnx -R ${input.repository}\``}`,
  ];
  if (input.dataClock) lines.push(`- **Data clock**: \`${DATA_CLOCK_PATH}\` moves to ${input.dataClock.asOf}`);
  if (failing) lines.push('', 'Failing checks:', '', ...failedChecks(e, 10).map((line) => `- ${line}`));
  else
    lines.push(
      '',
      'Merging deploys it: the deploy workflow verifies the artifact (sha256, ONNX Runtime, golden outputs), records a Deployment and reloads the service. To undo, run the rollback workflow (a `git revert` of the promotion commit).',
    );
  return lines.join('\n');
}

async function readEvidence(candidateDir: string): Promise<{ evidence: GateEvidence; report: string }> {
  const file = path.join(candidateDir, EVIDENCE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run the gate on the candidate first`);
  }
  parseEvidence(text, file);
  const reportFile = path.join(candidateDir, REPORT_FILE);
  const report = await readFile(reportFile, 'utf8').catch(() => {
    throw new Error(`${reportFile} is missing: run the gate on the candidate first`);
  });
  return { evidence: JSON.parse(text) as GateEvidence, report };
}

/** Commits the data clock on the current branch when it moves; true when a commit was made. */
async function commitDataClock(repoDir: string, clock: DataClock): Promise<boolean> {
  const files = nodeRepoFiles(repoDir);
  const current = await readDataClock(files);
  if (current?.asOf === clock.asOf) return false;
  await writeDataClock(files, clock);
  const git = simpleGit(repoDir);
  await git.raw(['add', '--', DATA_CLOCK_PATH]);
  await git.raw([
    'commit',
    '--quiet',
    '-m',
    `data clock ${clock.asOf}\n\nA week of flights up to ${clock.asOf} has arrived; the promotion after this commit was trained on it.`,
    '--',
    DATA_CLOCK_PATH,
  ]);
  return true;
}

export async function publishPromotion(options: PublishPromotionOptions): Promise<PublishedPromotion> {
  const log = options.log ?? (() => {});
  const { forge } = options;
  const { evidence, report } = await readEvidence(options.candidateDir);
  const passed = evidence.verdict === 'pass';
  if (!passed && !options.publishFailing) {
    throw new Error(
      `candidate ${evidence.candidate.version} failed the gate (${failedChecks(evidence, 3).join('; ')}): no promotion pull request is opened for it`,
    );
  }
  const repository = await forge.getRepository();
  const base = options.base ?? repository.defaultBranch;
  await setCommitIdentity(options.repoDir, options.identity ?? DEFAULT_IDENTITY);
  const branch = promotionBranch(evidence.candidate.version);
  await simpleGit(options.repoDir).raw(['checkout', '--quiet', '-B', branch]);
  if (options.dataClock && (await commitDataClock(options.repoDir, options.dataClock)))
    log(`committed the data clock ${options.dataClock.asOf} on ${branch}`);
  const promotion = await promote({
    repoDir: options.repoDir,
    candidateDir: options.candidateDir,
    branch: false,
    allowFailedGate: options.publishFailing,
    run: options.run ? { id: options.run.id, url: options.run.url } : undefined,
  });
  log(`promotion commit ${promotion.commit} on ${branch}`);
  await pushRefs(options.repoDir, options.pushToken, [`${promotion.commit}:refs/heads/${branch}`], { force: true });
  log(`pushed ${branch}`);

  const title = `Promote flight-delay ${promotion.version}${passed ? '' : ' (gate FAILED: not mergeable)'}`;
  const body = promotionBody({
    evidence,
    promotion,
    repository: `${repository.owner}/${repository.repo}`,
    run: options.run,
    reason: options.reason,
    dataClock: options.dataClock,
  });
  const [open] = await forge.listPullRequests({ head: branch, base, state: 'open' });
  const pullRequest = open
    ? await forge.updatePullRequest(open.number, { title, body })
    : await forge.createPullRequest({ head: branch, base, title, body });
  log(`${open ? 'updated' : 'opened'} pull request #${pullRequest.number} ${pullRequest.htmlUrl}`);

  const reportPath = `${versionDir(promotion.version)}/${REPORT_FILE}`;
  const { comment } = await upsertMarkedComment(
    forge,
    pullRequest.number,
    MODEL_GATE_CONTEXT,
    reportCommentBody(report),
    {
      fullText: { label: reportPath, url: `${repository.htmlUrl}/blob/${branch}/${reportPath}` },
    },
  );
  await forge.createCommitStatus(promotion.commit, {
    state: gateStatusState(evidence),
    context: MODEL_GATE_CONTEXT,
    description: gateStatusDescription(evidence),
    targetUrl: options.run?.url,
  });
  log(`${MODEL_GATE_CONTEXT} ${gateStatusState(evidence)} on ${promotion.commit.slice(0, 12)}`);
  const superseded = await closeSupersededFailures(forge, { by: pullRequest, base, log });
  return {
    promotion,
    branch,
    headSha: promotion.commit,
    pullRequest,
    pullRequestCreated: !open,
    comment,
    evidence,
    superseded,
  };
}

/**
 * Closes the open promotion pull requests into `base` whose head has a failing `model-gate`, with
 * a comment naming the newer one: they can never merge, and weekly failures would otherwise pile
 * up. Their branches stay, so the evidence does. Passing ones are left for a person to decide.
 */
export async function closeSupersededFailures(
  forge: Forge,
  options: { by: ForgePullRequest; base: string; log?: (line: string) => void },
): Promise<number[]> {
  const closed: number[] = [];
  for (const pr of await forge.listPullRequests({ base: options.base, state: 'open' })) {
    if (pr.number === options.by.number || !pr.head.ref.startsWith(PROMOTION_PREFIX)) continue;
    const combined = await forge.getCombinedStatus(pr.head.sha);
    const gate = combined.statuses.find((s) => s.context === MODEL_GATE_CONTEXT);
    if (gate?.state !== 'failure') continue;
    await forge.createIssueComment(
      pr.number,
      `Superseded by #${options.by.number} (${options.by.title}): this candidate failed the gate and cannot be merged. The branch \`${pr.head.ref}\` and its evidence stay.`,
    );
    await forge.closePullRequest(pr.number);
    options.log?.(
      `closed #${pr.number} (${pr.head.ref}, ${MODEL_GATE_CONTEXT} failure): superseded by #${options.by.number}`,
    );
    closed.push(pr.number);
  }
  return closed;
}
