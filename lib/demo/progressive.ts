/**
 * The progressive demo (`npm run demo -- --scenario progressive`): the last promotion is rolled back
 * (rollback.yml), and the version it promoted — gated against the champion now in force — is
 * released again step by step with release-step.yml: shadow → canary at 30% → champion. Between
 * steps June 2001 flights are replayed through the service with their real outcomes as feedback, so
 * each step's pull request carries live-traffic evidence (agreement, score difference, latency by
 * role, AUC from feedback); a person merges each step and the service follows the manifest.
 */
import { loadFlights } from '../data/flights.ts';
import { findMarkedComment } from '../forge/comments.ts';
import { RELEASE_EVIDENCE_CONTEXT, releaseBranch } from '../gitops/progressive.ts';
import { MANIFEST_PATH, parseManifest } from '../manifest/store.ts';
import type { ReleaseStep } from '../release/challenger-step.ts';
import { replay } from '../replay/replay.ts';
import { selectTraffic } from '../replay/traffic.ts';
import { findRun, runRecord } from './records.ts';
import { modelUrl, waitForRevision } from './service-model.ts';
import type { DemoContext, DemoScenario } from './scenario.ts';
import type { StepHandle } from './timeline.ts';

const RELEASE_STEP = 'release-step.yml';
const ROLLBACK = 'rollback.yml';
const WEEK = '2001-06-04';
const SHARE = '30%';

async function manifestOnMain(context: DemoContext) {
  const file = await context.stack.forge.getFile(MANIFEST_PATH);
  if (!file) throw new Error(`the emulated repository has no ${MANIFEST_PATH}`);
  return parseManifest(file.content.toString('utf8'));
}

/** Dispatches a workflow, waits for everything it starts, and records its run. */
async function dispatch(context: DemoContext, workflow: string, inputs: Record<string, string>, step: StepHandle) {
  const { forge } = context.stack;
  const before = new Set((await forge.listWorkflowRuns({ workflow })).map((r) => r.id));
  await forge.dispatchWorkflow(workflow, 'main', inputs);
  await context.stack.idle();
  const run = (await forge.listWorkflowRuns({ workflow })).find((r) => !before.has(r.id));
  if (!run) throw new Error(`the dispatch of ${workflow} started no run`);
  const record = await runRecord(forge, run.id);
  step.record(record);
  if (run.conclusion !== 'success') throw new Error(`${workflow} run ${run.id} ended ${run.conclusion}: ${record.url}`);
  return record;
}

/** Waits until the service has loaded main at `sha` (and its challenger, if any), and records it. */
async function servingRevision(context: DemoContext, sha: string, step: StepHandle, timeoutMs = 120_000) {
  const url = context.stack.service.url;
  const view = await waitForRevision(url, sha, { timeoutMs, intervalMs: 200 });
  const serving = view.serving!;
  step.record({
    kind: 'serving',
    version: serving.version,
    revision: sha,
    loadedAt: serving.loadedAt,
    url: modelUrl(url),
  });
  const challenger = view.challenger;
  step.note(
    `the service serves ${serving.version}${challenger ? ` with ${challenger.version} in ${challenger.mode}${challenger.mode === 'canary' ? ` at ${challenger.traffic * 100}%` : ''}` : ' alone'}`,
  );
  return view;
}

async function progressive(context: DemoContext): Promise<void> {
  const { stack, timeline, where, figures } = context;
  const { forge } = stack;
  const start = await manifestOnMain(context);
  if (!start.previous) throw new Error(`${MANIFEST_PATH} has no previous version to start from`);
  const version = start.champion.version;
  const flights = await loadFlights();
  let seed = 20;

  const traffic = (label: string, rows: number) =>
    timeline.step(`traffic-${label}`, `Replay ${rows} June flights with their outcomes (${label})`, async (step) => {
      const selected = selectTraffic(flights, { week: WEEK, limit: rows, seed: seed++ }).flights;
      const s = await replay({
        url: stack.service.url,
        flights: selected,
        rate: 100,
        feedbackDelayMs: 0,
        drainMs: 60_000,
      });
      step.note(
        `answered by ${Object.entries(s.predictions.versions)
          .map(([v, n]) => `${v}: ${n}`)
          .join(', ')}; ${s.feedback.matched} outcomes joined`,
      );
      if (s.feedback.matched !== selected.length)
        throw new Error(`${selected.length - s.feedback.matched} outcomes did not join their prediction`);
    });

  const releaseStep = (step: ReleaseStep) =>
    timeline.step(`${step}`, `Release step ${step} (${RELEASE_STEP} dispatch) and merge`, async (handle) => {
      await dispatch(
        context,
        RELEASE_STEP,
        { version, step, ...(step === 'canary' ? { share: SHARE } : {}), reason: `demo: ${step}` },
        handle,
      );
      const [pr] = await forge.listPullRequests({ head: releaseBranch(version, step), state: 'open' });
      if (!pr) throw new Error(`no open pull request for the ${step} step`);
      handle.record({
        kind: 'pull-request',
        number: pr.number,
        url: pr.htmlUrl,
        head: pr.head.ref,
        headSha: pr.head.sha,
      });
      const comment = findMarkedComment(await forge.listIssueComments(pr.number), RELEASE_EVIDENCE_CONTEXT);
      if (!comment) throw new Error(`pull request #${pr.number} has no ${RELEASE_EVIDENCE_CONTEXT} comment`);
      handle.record({ kind: 'comment', id: comment.id, pullRequest: pr.number, url: comment.htmlUrl });
      for (const line of comment.body.split('\n').filter((l) => /^- (✅|❌) /.test(l))) handle.note(line.slice(2));
      const statuses = (await forge.getCombinedStatus(pr.head.sha)).statuses;
      for (const s of statuses) {
        handle.record({
          kind: 'status',
          id: s.id,
          sha: pr.head.sha,
          context: s.context,
          state: s.state,
          description: s.description,
        });
        handle.note(`${s.context}: ${s.state} — ${s.description ?? ''}`);
      }
      where.push({ label: `${step} pull request`, url: pr.htmlUrl });
      const merged = await forge.mergePullRequest(pr.number);
      handle.record({ kind: 'merge', pullRequest: pr.number, sha: merged.sha });
      const mergedAt = Date.now();
      await servingRevision(context, merged.sha, handle);
      figures[`${step}MergeToServingMs`] = Date.now() - mergedAt;
      await stack.idle();
      const deploy = await findRun(forge, { workflow: 'deploy.yml', headSha: merged.sha, event: 'push' });
      handle.record(deploy);
    });

  await timeline.step('start', `Roll back ${version} (${ROLLBACK}) to release it again step by step`, async (step) => {
    await dispatch(context, ROLLBACK, { reason: `demo: release ${version} progressively` }, step);
    const after = await manifestOnMain(context);
    step.note(`champion ${after.champion.version}; ${version} stays in the registry, gated against it`);
    await servingRevision(context, (await forge.getRef('heads/main'))!.sha, step);
  });
  await releaseStep('shadow');
  await traffic('shadow', 1200);
  await releaseStep('canary');
  await traffic('canary', 2100);
  await releaseStep('champion');
  const end = await manifestOnMain(context);
  if (end.champion.version !== version) throw new Error(`the champion is ${end.champion.version}, not ${version}`);
}

export const progressiveScenario: DemoScenario = {
  name: 'progressive',
  summary:
    'roll the last promotion back, then release it again: shadow → canary 30% → champion (release-step.yml) with replayed traffic and feedback as evidence',
  figures: {
    shadowMergeToServingMs: 'shadow step merged → serving it',
    canaryMergeToServingMs: 'canary step merged → serving it',
    championMergeToServingMs: 'champion step merged → serving it',
  },
  run: progressive,
};
