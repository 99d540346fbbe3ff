/**
 * The default demo: the whole GitOps loop on the repository's own workflows. A schedule tick starts
 * train.yml (train → gate → promotion pull request with the report comment and a green
 * `model-gate`), gate.yml re-runs the gate on the pull request, a person merges it through the API,
 * deploy.yml records the Deployment while the service picks the new champion up from git; then a
 * worse candidate (dispatched with a week of data and five trees) fails the gate and its pull
 * request is refused by branch protection; then rollback.yml reverts the promotion and the service
 * is back on the previous champion.
 */
import { ProtectedBranchError } from '../forge/errors.ts';
import { MANIFEST_PATH, parseManifest } from '../manifest/store.ts';
import { findRun, recordDeployment, recordPullRequest, runOf, runRecord } from './records.ts';
import type { DemoContext, DemoScenario } from './scenario.ts';
import { modelUrl } from './service-model.ts';
import type { ObservedPush } from './stack.ts';
import { formatMs, type StepHandle } from './timeline.ts';

const TRAIN = 'train.yml';
const GATE = 'gate.yml';
const DEPLOY = 'deploy.yml';
const ROLLBACK = 'rollback.yml';

/** The manifest on the emulator's default branch, read through the forge. */
async function champions(context: DemoContext): Promise<{ champion: string; previous: string | null }> {
  const file = await context.stack.forge.getFile(MANIFEST_PATH);
  if (!file) throw new Error(`the emulated repository has no ${MANIFEST_PATH}`);
  const manifest = parseManifest(file.content.toString('utf8'));
  return { champion: manifest.champion.version, previous: manifest.previous?.version ?? null };
}

/** The push to the default branch made at or after `count` pushes, waiting for it. */
async function nextPush(context: DemoContext, count: number, timeoutMs = 300_000): Promise<ObservedPush> {
  const deadline = Date.now() + timeoutMs;
  while (context.stack.pushes.length <= count) {
    if (Date.now() > deadline) throw new Error(`no push to the default branch within ${formatMs(timeoutMs)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return context.stack.pushes[count]!;
}

/** Waits for the service to serve `version` after `push`; records it and returns push → serving. */
async function servingAfter(
  context: DemoContext,
  push: ObservedPush,
  version: string,
  step: StepHandle,
): Promise<number> {
  const serving = await context.stack.waitForServing(version);
  const ms = Date.now() - push.seenAt;
  step.record({
    kind: 'serving',
    version: serving.version,
    revision: serving.revision,
    loadedAt: serving.loadedAt,
    url: modelUrl(context.stack.service.url),
  });
  if (serving.revision !== push.sha)
    step.note(`(the service loaded revision ${serving.revision.slice(0, 12)}, main is at ${push.sha.slice(0, 12)})`);
  step.note(`the service answers /v1/model with ${version} ${formatMs(ms)} after main moved`);
  return ms;
}

async function lifecycle(context: DemoContext): Promise<void> {
  const { stack, timeline, settings, figures, where } = context;
  const { forge } = stack;
  const start = await champions(context);

  // 1. The weekly schedule fires: train → gate → promotion pull request.
  const promotion = await timeline.step(
    'scheduled-training',
    `Scheduled training (${TRAIN}, schedule tick)`,
    async (step) => {
      step.note(
        `champion ${start.champion}; training window ${settings.trainDays === null ? 'all data' : `${settings.trainDays} days`} (vars.TRAIN_DAYS), data clock +1 week`,
      );
      const head = (await forge.getRef('heads/main'))!.sha;
      const train = (await stack.runner.workflowsAt(head)).find((w) => w.path.endsWith(`/${TRAIN}`));
      const cron = train?.events.schedule?.[0]?.cron;
      if (!cron) throw new Error(`${TRAIN} has no schedule`);
      const run = runOf(await stack.scheduleTick(cron), TRAIN);
      const record = await runRecord(forge, run.id);
      step.record(record);
      if (run.conclusion !== 'success')
        throw new Error(`the scheduled ${TRAIN} run ${run.id} ended ${run.conclusion}: see ${record.url}`);
      const outputs = Object.values(run.jobs)[0]?.outputs ?? {};
      const number = Number(outputs['pull-request']);
      if (!Number.isInteger(number) || number <= 0) throw new Error(`${TRAIN} run ${run.id} named no pull request`);
      const pr = await recordPullRequest(forge, number, step);
      step.note(
        `trained ${outputs.version}; pull request #${number}: ${pr.gate.context} ${pr.gate.state} — ${pr.gate.description}`,
      );
      where.push(
        { label: 'promotion pull request', url: pr.url },
        { label: 'gate report comment', url: pr.commentUrl },
      );
      where.push({ label: 'training run', url: record.url }, { label: 'training run logs (zip)', url: record.logsUrl });
      return { version: outputs.version!, pr };
    },
  );

  // 2. The pull request starts gate.yml, which re-runs the gate from the pull request's files.
  await timeline.step('pull-request-gate', `Gate re-run on the pull request (${GATE})`, async (step) => {
    await stack.idle();
    const record = await findRun(forge, { workflow: GATE, headSha: promotion.pr.headSha, event: 'pull_request' });
    step.record(record);
    const pr = await recordPullRequest(forge, promotion.pr.number, step);
    step.note(`${GATE} run ${record.id}: ${record.conclusion}; ${pr.gate.context} ${pr.gate.state}`);
    if (pr.gate.state !== 'success') throw new Error(`pull request #${pr.number} is not green: ${pr.gate.description}`);
  });

  // 3. A person merges; the deploy workflow runs and the service follows git.
  const merged = await timeline.step(
    'merge',
    `Merge pull request #${promotion.pr.number} through the API`,
    async (step) => {
      const before = stack.pushes.length;
      const result = await forge.mergePullRequest(promotion.pr.number);
      step.record({ kind: 'merge', pullRequest: promotion.pr.number, sha: result.sha });
      const push = await nextPush(context, before);
      step.record({ kind: 'push', ref: 'refs/heads/main', sha: push.sha, eventId: push.eventId });
      step.note(`main → ${result.sha.slice(0, 12)}`);
      return push;
    },
  );
  await timeline.step('merge-serving', `Service serves ${promotion.version}`, async (step) => {
    figures.mergeToServingMs = await servingAfter(context, merged, promotion.version, step);
  });
  await timeline.step('deploy', `Deploy workflow (${DEPLOY}, push to main)`, async (step) => {
    await stack.idle();
    const record = await findRun(forge, { workflow: DEPLOY, headSha: merged.sha, event: 'push' });
    step.record(record);
    const deployment = await recordDeployment(forge, merged.sha, step);
    step.note(`${DEPLOY} run ${record.id}: ${record.conclusion}; deployment ${deployment.id}: ${deployment.state}`);
    where.push({ label: 'deploy run', url: record.url });
    if (deployment.state !== 'success') throw new Error(`deployment ${deployment.id} ended ${deployment.state}`);
  });

  // 4. A worse candidate: its pull request exists, the gate failed, branch protection refuses it.
  const bad = await timeline.step(
    'worse-candidate',
    `Worse candidate (${TRAIN} dispatch: ${settings.badTrainDays} days, ${settings.badParams})`,
    async (step) => {
      await forge.dispatchWorkflow(TRAIN, 'main', {
        'train-days': String(settings.badTrainDays),
        params: settings.badParams,
        reason: 'demo: a worse candidate',
      });
      await stack.idle();
      const [latest] = await forge.listWorkflowRuns({ workflow: TRAIN, event: 'workflow_dispatch' });
      if (!latest) throw new Error(`the dispatch started no ${TRAIN} run`);
      const record = await runRecord(forge, latest.id);
      step.record(record);
      step.note(`${TRAIN} run ${record.id}: ${record.conclusion} (the run fails visibly when the gate fails)`);
      const [pr] = await forge.listPullRequests({ state: 'open' });
      if (!pr || pr.number === promotion.pr.number) throw new Error(`the worse candidate's run opened no pull request`);
      const evidence = await recordPullRequest(forge, pr.number, step);
      step.note(
        `pull request #${pr.number}: ${evidence.gate.context} ${evidence.gate.state} — ${evidence.gate.description}`,
      );
      return { record, evidence };
    },
  );
  await timeline.step('refused', `Merge of #${bad.evidence.number} refused by branch protection`, async (step) => {
    try {
      await forge.mergePullRequest(bad.evidence.number);
    } catch (error) {
      if (!(error instanceof ProtectedBranchError)) throw error;
      step.record({
        kind: 'refusal',
        pullRequest: bad.evidence.number,
        status: error.status,
        message: error.githubMessage,
      });
      step.note(`GitHub answers ${error.status}: ${error.githubMessage}`);
      step.note(`failing checks (from the ${bad.evidence.gate.context} comment):`);
      for (const line of bad.evidence.failingChecks.slice(0, 6)) step.note(`  ❌ ${line}`);
      if (bad.evidence.failingChecks.length > 6) step.note(`  … and ${bad.evidence.failingChecks.length - 6} more`);
      where.push({ label: 'refused pull request', url: bad.evidence.url });
      const serving = await stack.serving();
      if (serving?.version !== promotion.version)
        throw new Error(`the service serves ${serving?.version}, not ${promotion.version}`);
      step.note(`the service still serves ${serving.version}`);
      return;
    }
    throw new Error(
      `pull request #${bad.evidence.number} was merged although ${bad.evidence.gate.context} is ${bad.evidence.gate.state}`,
    );
  });

  // 5. Rollback: the revert of the promotion, pushed by the workflow, deployed, served.
  const reverted = await timeline.step('rollback', `Rollback (${ROLLBACK} dispatch)`, async (step) => {
    const before = stack.pushes.length;
    await forge.dispatchWorkflow(ROLLBACK, 'main', { reason: `demo: roll ${promotion.version} back` });
    const push = await nextPush(context, before);
    step.record({ kind: 'push', ref: 'refs/heads/main', sha: push.sha, eventId: push.eventId });
    step.note(`the rollback run pushed the revert ${push.sha.slice(0, 12)} to main`);
    return push;
  });
  await timeline.step('rollback-serving', `Service back on ${start.champion}`, async (step) => {
    figures.revertToServingMs = await servingAfter(context, reverted, start.champion, step);
  });
  await timeline.step('rollback-deploy', `Rollback and deploy runs recorded`, async (step) => {
    await stack.idle();
    const [rollback] = await forge.listWorkflowRuns({ workflow: ROLLBACK });
    if (!rollback) throw new Error(`no ${ROLLBACK} run`);
    step.record(await runRecord(forge, rollback.id));
    const deploy = await findRun(forge, { workflow: DEPLOY, headSha: reverted.sha, event: 'push' });
    step.record(deploy);
    const deployment = await recordDeployment(forge, reverted.sha, step);
    const after = await champions(context);
    step.note(
      `manifest: champion ${after.champion}, previous ${after.previous}; deployment ${deployment.id}: ${deployment.state}`,
    );
    where.push({ label: 'rollback run', url: (await runRecord(forge, rollback.id)).url });
    if (after.champion !== start.champion) throw new Error(`after the rollback the champion is ${after.champion}`);
  });
}

export const lifecycleScenario: DemoScenario = {
  name: 'lifecycle',
  summary: 'scheduled training → promotion PR → merge → deploy → serving; a refused worse candidate; rollback',
  figures: {
    mergeToServingMs: 'merge → serving the new champion',
    revertToServingMs: 'revert → serving the previous champion',
  },
  run: lifecycle,
};
