/**
 * A progressive release step as a pull request: the live-traffic evidence is scraped from the
 * service first, then the step is committed on `release/<version>-<step>`
 * (lib/release/challenger-step.ts), pushed with the App's token, and one pull request per step is
 * opened or updated. The evidence is one marked comment (updated in place on re-runs); two commit
 * statuses go on the head: `model-gate` (the version's gate evidence and artifact) and
 * `release-evidence` (the live-traffic bars of lib/gitops/progressive-evidence.ts). Branch
 * protection that requires both blocks a canary or a promotion whose evidence is not there yet.
 */
import { simpleGit } from 'simple-git';
import { upsertMarkedComment } from '../forge/comments.ts';
import type { Forge, ForgeComment, ForgePullRequest } from '../forge/forge.ts';
import { readManifest } from '../manifest/store.ts';
import { releaseStep, type ReleaseStep, type ReleaseStepResult } from '../release/challenger-step.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import type { ActionsRun } from '../util/run-context.ts';
import { type CommitIdentity, DEFAULT_IDENTITY, gitWithToken, pushRefs, setCommitIdentity } from './git-remote.ts';
import {
  type Bar,
  collectLiveEvidence,
  evidenceMarkdown,
  type LiveEvidence,
  STEP_POLICY,
  type StepPolicy,
  stepBars,
} from './progressive-evidence.ts';
import { MODEL_GATE_CONTEXT, promotionBranch } from './promotion-pr.ts';
import { verifyEntry } from './verify-version.ts';

/** The status context of the live-traffic bars, and the key of the evidence comment. */
export const RELEASE_EVIDENCE_CONTEXT = 'release-evidence';

export function releaseBranch(version: string, step: ReleaseStep): string {
  return `release/${version}-${step}`;
}

export interface PublishReleaseStepOptions {
  /** A checkout of the base branch with `origin` (clean under models/ and manifests/). */
  repoDir: string;
  forge: Forge;
  /** Pushes the step's branch: an App installation token, so the pull request starts workflows. */
  pushToken: string;
  version: string;
  step: ReleaseStep;
  share?: number;
  reason?: string;
  /** Each replica's /metrics. */
  metricsUrls: readonly string[];
  policy?: StepPolicy;
  fetch?: typeof fetch;
  base?: string;
  run?: ActionsRun;
  identity?: CommitIdentity;
  log?: (line: string) => void;
}

export interface PublishedReleaseStep {
  result: ReleaseStepResult;
  branch: string;
  pullRequest: ForgePullRequest;
  pullRequestCreated: boolean;
  comment: ForgeComment;
  evidence: LiveEvidence;
  bars: Bar[];
  /** Every bar passed (the `release-evidence` status is success). */
  ready: boolean;
}

function stepTitle(version: string, step: ReleaseStep, share?: number): string {
  if (step === 'shadow') return `Shadow flight-delay ${version}`;
  if (step === 'canary') return `Canary flight-delay ${version} at ${Number(((share ?? 0) * 100).toFixed(2))}%`;
  return `Promote flight-delay ${version} after canary`;
}

function stepBody(r: ReleaseStepResult, ready: boolean, run?: ActionsRun, reason?: string): string {
  const champion = r.before.champion.version;
  const what = {
    shadow: `Puts \`${r.version}\` next to champion \`${champion}\` in **shadow**: it scores the same requests off the hot path and answers none.${r.addedToRegistry ? ` Its registry folder comes from \`${promotionBranch(r.version)}\` (the gated candidate).` : ''}`,
    canary: `Routes a sticky **${Number(((r.manifest.challenger?.traffic ?? 0) * 100).toFixed(2))}%** of flights to \`${r.version}\` (**canary**); champion \`${champion}\` answers the rest.`,
    champion: `Promotes \`${r.version}\` to **champion** after its canary; \`${champion}\` stays ready as \`previous\`.`,
  }[r.step];
  return [
    what,
    '',
    `- **Run**: ${run ? `[${run.workflow ?? 'workflow'} run ${run.id}](${run.url})` : 'local'}${reason ? ` — ${reason}` : ''}`,
    `- **Live-traffic evidence**: the \`${RELEASE_EVIDENCE_CONTEXT}\` comment below (${ready ? 'every bar passed' : 'a bar is not met yet: re-run the step when the service has more traffic'})`,
    `- **Gate**: \`${MODEL_GATE_CONTEXT}\` — the version's committed gate evidence passed against the champion in force, and its artifact verified`,
    '',
    'Merging deploys it: the service follows the manifest. An alert during the canary is undone by the rollback workflow (a `git revert` of this commit).',
  ].join('\n');
}

export async function publishReleaseStep(options: PublishReleaseStepOptions): Promise<PublishedReleaseStep> {
  const log = options.log ?? (() => {});
  const { forge } = options;
  const repository = await forge.getRepository();
  const base = options.base ?? repository.defaultBranch;
  const files = nodeRepoFiles(options.repoDir);
  const current = await readManifest(files);
  // The evidence is about the traffic before this step: the champion and the challenger in force.
  const evidence = await collectLiveEvidence({
    metricsUrls: options.metricsUrls,
    versions: { champion: current?.champion.version ?? 'none', challenger: current?.challenger?.version ?? null },
    fetch: options.fetch,
  });
  const bars = stepBars(options.step, evidence, options.policy ?? STEP_POLICY);
  const ready = bars.every((b) => b.pass);
  log(
    `live evidence from ${evidence.sources.length} replica(s): ${bars.map((b) => `${b.id} ${b.pass ? 'pass' : 'FAIL'}`).join(', ') || 'baseline only'}`,
  );

  await setCommitIdentity(options.repoDir, options.identity ?? DEFAULT_IDENTITY);
  const git = simpleGit(options.repoDir);
  let candidateRef: string | undefined;
  if (options.step === 'shadow') {
    // The gated candidate's folder is on its promotion branch, if the checkout lacks it.
    const branch = promotionBranch(options.version);
    try {
      await (
        await gitWithToken(options.repoDir, options.pushToken)
      ).raw(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
      candidateRef = `origin/${branch}`;
    } catch {
      candidateRef = undefined;
    }
  }
  const branch = releaseBranch(options.version, options.step);
  await git.raw(['checkout', '--quiet', '-B', branch]);
  const result = await releaseStep({
    repoDir: options.repoDir,
    version: options.version,
    step: options.step,
    share: options.share,
    reason: options.reason,
    candidateRef,
    run: options.run ? { id: options.run.id, url: options.run.url } : undefined,
  });
  log(`${options.step} commit ${result.commit} on ${branch}`);
  const verified = await verifyEntry(
    nodeRepoFiles(options.repoDir),
    result.manifest.challenger ?? result.manifest.champion,
    'challenger',
  );
  await pushRefs(options.repoDir, options.pushToken, [`${result.commit}:refs/heads/${branch}`], { force: true });
  log(`pushed ${branch}`);

  const title = stepTitle(options.version, options.step, options.share);
  const body = stepBody(result, ready, options.run, options.reason);
  const [open] = await forge.listPullRequests({ head: branch, base, state: 'open' });
  const pullRequest = open
    ? await forge.updatePullRequest(open.number, { title, body })
    : await forge.createPullRequest({ head: branch, base, title, body });
  log(`${open ? 'updated' : 'opened'} pull request #${pullRequest.number} ${pullRequest.htmlUrl}`);
  const markdown = evidenceMarkdown({ step: options.step, evidence, bars, share: options.share });
  const { comment } = await upsertMarkedComment(forge, pullRequest.number, RELEASE_EVIDENCE_CONTEXT, markdown);
  await forge.createCommitStatus(result.commit, {
    state: 'success',
    context: MODEL_GATE_CONTEXT,
    description:
      `${options.step} ${options.version}: gate evidence passed vs ${result.before.champion.version}; artifact verified (${verified.goldenExamples} golden outputs)`.slice(
        0,
        140,
      ),
    targetUrl: options.run?.url,
  });
  const failing = bars.filter((b) => !b.pass);
  await forge.createCommitStatus(result.commit, {
    state: ready ? 'success' : 'failure',
    context: RELEASE_EVIDENCE_CONTEXT,
    description: (ready
      ? bars.length === 0
        ? 'baseline recorded; the shadow step needs no live evidence'
        : `PASS ${bars.length} bars`
      : `NOT YET: ${failing.map((b) => b.detail).join('; ')}`
    ).slice(0, 140),
    targetUrl: options.run?.url,
  });
  log(`${RELEASE_EVIDENCE_CONTEXT} ${ready ? 'success' : 'failure'} on ${result.commit.slice(0, 12)}`);
  return { result, branch, pullRequest, pullRequestCreated: !open, comment, evidence, bars, ready };
}

/** The job summary of the step. */
export function releaseStepSummary(p: PublishedReleaseStep): string {
  return [
    `## Release step \`${p.result.step}\` for \`${p.result.version}\`: pull request [#${p.pullRequest.number}](${p.pullRequest.htmlUrl}) ${p.pullRequestCreated ? 'opened' : 'updated'}`,
    '',
    `Branch \`${p.branch}\` at \`${p.result.commit}\`. Live-traffic evidence: [the ${RELEASE_EVIDENCE_CONTEXT} comment](${p.comment.htmlUrl}) — ${
      p.ready
        ? 'every bar passed'
        : `not yet: ${p.bars
            .filter((b) => !b.pass)
            .map((b) => `\`${b.id}\``)
            .join(', ')}`
    }.`,
    '',
  ].join('\n');
}
