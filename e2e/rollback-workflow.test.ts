/**
 * rollback.yml on the local runner against the emulator (testing/workflow-lab.ts, seeded with this
 * repository's committed HEAD and its three real promotions): dispatched with a named version (the
 * champion), then with no version (the last promotion not yet rolled back). Each time the revert
 * lands on the protected main by a push made with the App's token, with `model-gate` on it, and that
 * push starts deploy.yml, which verifies the restored champion and records a successful Deployment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductionManifest } from '../lib/manifest/schema.ts';
import { MANIFEST_PATH } from '../lib/manifest/store.ts';
import { MODEL_GATE_CONTEXT } from '../lib/gitops/promotion-pr.ts';
import { closeWorkflowLab, startWorkflowLab, type WorkflowLab } from '../testing/workflow-lab.ts';

const ROLLBACK = '.github/workflows/rollback.yml';
const DEPLOY = '.github/workflows/deploy.yml';

let lab: WorkflowLab;

async function manifestAt(ref: string): Promise<ProductionManifest> {
  return JSON.parse((await lab.forge.getFile(MANIFEST_PATH, ref))!.content.toString()) as ProductionManifest;
}

/** Dispatches rollback.yml and waits for it and the runs it starts. */
async function dispatchRollback(inputs: Record<string, string>) {
  const before = lab.handled.length;
  await lab.forge.dispatchWorkflow('rollback.yml', 'main', inputs);
  await lab.idle();
  expect(lab.errors).toEqual([]);
  const runs = lab.handled.slice(before).flatMap((h) => h.handled.runs);
  const summaries = runs.map((r) =>
    lab.emulator.runs
      .jobs(lab.fullName, Number(r.id))
      .map((j) => `${j.name}: ${j.summary ?? ''}`)
      .join('\n'),
  );
  return { runs, summaries };
}

/** The revert is on main, by the App, with model-gate, and deploy.yml deployed it. */
async function expectRolledBackAndDeployed(
  runs: Awaited<ReturnType<typeof dispatchRollback>>['runs'],
  summaries: string[],
  restored: string,
) {
  expect(
    runs.map((r) => [r.workflow, r.conclusion]),
    summaries.join('\n---\n'),
  ).toEqual([
    [ROLLBACK, 'success'],
    [DEPLOY, 'success'],
  ]);
  const [rollback, deploy] = runs;
  const commit = rollback.jobs.rollback.outputs.commit;
  expect(rollback.jobs.rollback.outputs['restored-version']).toBe(restored);
  expect((await lab.forge.getRef('heads/main'))!.sha).toBe(commit);
  expect((await manifestAt('main')).champion.version).toBe(restored);
  const status = await lab.forge.getCombinedStatus(commit);
  expect(status.statuses.map((s) => [s.context, s.state])).toEqual([[MODEL_GATE_CONTEXT, 'success']]);
  // The push that moved main was made with the App's installation token, so deploy.yml ran on it.
  const push = lab.emulator.events
    .list({ name: 'push' })
    .filter((e) => e.payload.ref === 'refs/heads/main')
    .at(-1)!;
  expect(push.payload.after).toBe(commit);
  expect(push.actor.kind).toBe('installation');
  expect(deploy.jobs.deploy.outputs).toMatchObject({ version: restored, state: 'success' });
  const deployment = (await lab.forge.listDeployments({ environment: 'production' })).find((d) => d.sha === commit);
  expect(deployment).toBeDefined();
  const statuses = await lab.forge.listDeploymentStatuses(deployment!.id);
  expect(statuses.map((s) => s.state).sort()).toEqual(['in_progress', 'success']);
  return commit;
}

beforeAll(async () => {
  lab = await startWorkflowLab();
}, 120_000);

afterAll(async () => {
  expect(await closeWorkflowLab(lab)).toEqual([]);
});

describe('rollback.yml', () => {
  it('reverts a named version: the revert lands on main and deploy.yml deploys the previous champion', async () => {
    const before = await manifestAt('main');
    const { runs, summaries } = await dispatchRollback({
      version: before.champion.version,
      reason: 'e2e: named version',
    });
    await expectRolledBackAndDeployed(runs, summaries, before.previous!.version);
    const message = (await lab.forge.getCommit('main')).message;
    expect(message).toContain('e2e: named version');
    expect(message).toContain(before.champion.version);
  }, 150_000);

  it('reverts the last promotion not yet rolled back when no version is named', async () => {
    const before = await manifestAt('main');
    const { runs, summaries } = await dispatchRollback({ reason: 'e2e: last promotion' });
    const commit = await expectRolledBackAndDeployed(runs, summaries, before.previous!.version);
    expect((await manifestAt(commit)).previous).toBeNull();
  }, 150_000);
});
