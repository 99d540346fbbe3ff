/**
 * deploy.yml on the local runner against the emulator (testing/workflow-lab.ts): a manifest whose
 * champion sha256 is not the artifact's reaches main (someone set `model-gate` by hand and moved the
 * branch), and the deploy workflow refuses it — the run fails naming the file and both hashes, and
 * the Deployment's last status is `failure`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductionManifest } from '../lib/manifest/schema.ts';
import { MANIFEST_PATH } from '../lib/manifest/store.ts';
import { MODEL_GATE_CONTEXT } from '../lib/gitops/promotion-pr.ts';
import { closeWorkflowLab, startWorkflowLab, type WorkflowLab } from '../testing/workflow-lab.ts';

let lab: WorkflowLab;

beforeAll(async () => {
  lab = await startWorkflowLab();
}, 120_000);

afterAll(async () => {
  expect(await closeWorkflowLab(lab)).toEqual([]);
});

describe('deploy.yml', () => {
  it('refuses a champion whose artifact does not hash to the manifest sha256, and records the failure', async () => {
    const manifest = JSON.parse(
      (await lab.forge.getFile(MANIFEST_PATH, 'main'))!.content.toString(),
    ) as ProductionManifest;
    const pinned = '0'.repeat(64);
    const tampered = { ...manifest, champion: { ...manifest.champion, sha256: pinned } };
    const commit = await lab.forge.commitFiles({
      branch: 'tampered',
      message: 'manifest: champion sha256 edited by hand',
      files: { [MANIFEST_PATH]: `${JSON.stringify(tampered, null, 2)}\n` },
    });
    await lab.forge.createCommitStatus(commit.sha, {
      state: 'success',
      context: MODEL_GATE_CONTEXT,
      description: 'set by hand',
    });
    await lab.forge.updateRef('heads/main', commit.sha);
    await lab.idle();
    expect(lab.errors).toEqual([]);

    const runs = lab.handled.flatMap((h) => h.handled.runs);
    expect(runs.map((r) => [r.workflow, r.conclusion])).toEqual([['.github/workflows/deploy.yml', 'failure']]);
    expect(runs[0].jobs.deploy.outputs).toMatchObject({ state: 'failure' });
    const [job] = lab.emulator.runs.jobs(lab.fullName, Number(runs[0].id));
    const summary = job.summary ?? '';
    expect(summary).toMatch(
      new RegExp(
        `refusing champion ${manifest.champion.version}: ${manifest.champion.path} has sha256 ${manifest.champion.sha256}, but ${MANIFEST_PATH} names ${pinned}`,
      ),
    );
    const [deployment] = (await lab.forge.listDeployments({ environment: 'production' })).filter(
      (d) => d.sha === commit.sha,
    );
    const statuses = await lab.forge.listDeploymentStatuses(deployment.id);
    expect(statuses.map((s) => s.state).sort()).toEqual(['failure', 'in_progress']);
    expect(statuses.find((s) => s.state === 'failure')!.description).toMatch(/^refusing champion/);
  }, 150_000);
});
