/**
 * gate.yml on the local runner against the emulator (testing/workflow-lab.ts, seeded with this
 * repository's committed HEAD and its real artifacts): a person hand-edits manifests/production.json
 * in a pull request to make the oldest committed version (2001-04-01-5a98e494) champion again. Its
 * committed evidence.json says "pass" (it passed against no champion when it was first promoted);
 * gate.yml re-runs the gate from the pull request's files against the champion in force, posts the
 * failing report as the `model-gate` comment, sets `model-gate` failure on the head, and branch
 * protection refuses the merge.
 *
 * A loosened gates/policy.json in a pull request is checked on the library the workflow calls
 * (lib/gitops/pr-gate.ts gatePullRequest), not through the runner: a pull request touching gates/
 * also starts ci.yml, which would run the whole test suite inside this test.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateEvidence } from '../gates/evidence.ts';
import { runGate } from '../gates/run-gate.ts';
import { loadFlights } from '../lib/data/flights.ts';
import type { ProductionManifest } from '../lib/manifest/schema.ts';
import { MANIFEST_PATH } from '../lib/manifest/store.ts';
import { gatePullRequest, POLICY_PATH } from '../lib/gitops/pr-gate.ts';
import { MODEL_GATE_CONTEXT } from '../lib/gitops/promotion-pr.ts';
import { closeWorkflowLab, REPO_ROOT, startWorkflowLab, type WorkflowLab } from '../testing/workflow-lab.ts';

const exec = promisify(execFile);
const OLD = '2001-04-01-5a98e494';
const GATE = '.github/workflows/gate.yml';

let lab: WorkflowLab;
let base: ProductionManifest;

/** HEAD's manifest with the oldest version as champion, as a person would edit it by hand. */
function handEdited(manifest: ProductionManifest, sha256: string): ProductionManifest {
  return {
    ...manifest,
    champion: { version: OLD, path: `models/flight-delay/${OLD}/model.onnx`, sha256 },
    previous: manifest.champion,
    reason: 'hand edit: back to the April model',
  };
}

async function oldSha256(): Promise<string> {
  const card = JSON.parse(await readFile(path.join(REPO_ROOT, `models/flight-delay/${OLD}/card.json`), 'utf8')) as {
    artifact: { sha256: string };
  };
  return card.artifact.sha256;
}

beforeAll(async () => {
  lab = await startWorkflowLab();
  base = JSON.parse((await lab.forge.getFile(MANIFEST_PATH, 'main'))!.content.toString()) as ProductionManifest;
}, 120_000);

afterAll(async () => {
  expect(await closeWorkflowLab(lab)).toEqual([]);
});

describe('gate.yml on a hand-edited manifest', () => {
  it('re-runs the gate from the pull request files, sets model-gate failure, and the merge is refused', async () => {
    const commit = await lab.forge.commitFiles({
      branch: 'hand-edit',
      message: 'manifest: champion back to the April model',
      files: { [MANIFEST_PATH]: `${JSON.stringify(handEdited(base, await oldSha256()), null, 2)}\n` },
    });
    const pr = await lab.forge.createPullRequest({
      title: 'Back to the April model',
      head: 'hand-edit',
      base: 'main',
      body: 'edited by hand',
    });
    await lab.idle();
    expect(lab.errors).toEqual([]);

    const runs = lab.handled.flatMap((h) => h.handled.runs);
    expect(runs.map((r) => [r.workflow, r.conclusion])).toEqual([[GATE, 'failure']]);
    const [job] = lab.emulator.runs.jobs(lab.fullName, Number(runs[0].id));
    const summary = job.summary ?? '';
    // The gate ran on the head's artifact against the base's champion, with the base's policy.
    expect(summary).toMatch(new RegExp(`${OLD}`));
    expect(summary).toContain(base.champion.version);
    expect(summary).toContain("Re-run from this pull request's files by the gate workflow");
    expect(summary).toMatch(
      new RegExp(`the committed models/flight-delay/${OLD}/evidence.json says "pass", the gate re-run .* says "fail"`),
    );

    const status = await lab.forge.getCombinedStatus(commit.sha);
    expect(status.statuses.map((s) => [s.context, s.state])).toEqual([[MODEL_GATE_CONTEXT, 'failure']]);
    expect(status.statuses[0].targetUrl).toContain(`/actions/runs/${runs[0].id}`);
    const comments = await lab.forge.listIssueComments(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain(`says "fail"`);

    await expect(lab.forge.mergePullRequest(pr.number)).rejects.toThrow(
      /Required status check "model-gate" is failing/,
    );
    expect((await lab.forge.getRef('heads/main'))!.sha).not.toBe(commit.sha);
    console.log(`gate.yml on a hand-edited manifest: model-gate ${status.statuses[0].description}`);
  }, 240_000);
});

describe('a pull request that loosens gates/policy.json', () => {
  it('is gated with the base policy: what the loosened policy would let through still fails', async () => {
    const headDir = path.join(lab.dir, 'loosened');
    await exec('git', ['clone', '--quiet', '--depth', '1', `file://${REPO_ROOT}`, headDir]);
    const policy = JSON.parse(await readFile(path.join(headDir, POLICY_PATH), 'utf8')) as Record<string, unknown>;
    const loosened = {
      ...policy,
      floors: { auc: 0, recallAtBudget: 0 },
      nonRegression: { ...(policy.nonRegression as object), auc: { tolerance: 1 }, recallAtBudget: { tolerance: 1 } },
      slices: { ...(policy.slices as object), aucTolerance: 1 },
      calibration: { maxEce: 1, maxEceIncrease: 1 },
      latency: { ...(policy.latency as object), maxP99Ms: 1000 },
    };
    await writeFile(path.join(headDir, POLICY_PATH), `${JSON.stringify(loosened, null, 2)}\n`);
    await writeFile(
      path.join(headDir, MANIFEST_PATH),
      `${JSON.stringify(handEdited(base, await oldSha256()), null, 2)}\n`,
    );

    const table = await loadFlights();
    await mkdir(path.join(lab.dir, 'gate-head-policy'));
    // Under the pull request's own policy only the check no policy can loosen fails (the champion
    // trained on the April model's evaluation week)…
    const underHeadPolicy = await runGate({
      table,
      repoDir: REPO_ROOT,
      candidateDir: path.join(headDir, `models/flight-delay/${OLD}`),
      policyFile: path.join(headDir, POLICY_PATH),
      outDir: path.join(lab.dir, 'gate-head-policy'),
    });
    const ids = (evidence: GateEvidence) => evidence.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(ids(underHeadPolicy.evidence)).toEqual(['data.evaluation-unseen']);
    // …but the pull request gate uses the base's policy, and says the policy change was not applied.
    const gate = await gatePullRequest({ baseDir: REPO_ROOT, headDir, outDir: path.join(lab.dir, 'gate-pr'), table });
    expect(gate.change).toBe('promotion');
    expect(gate.state).toBe('failure');
    expect(gate.evidence!.verdict).toBe('fail');
    expect(ids(gate.evidence!)).toEqual(expect.arrayContaining(['non-regression.auc', 'data.evaluation-unseen']));
    expect(gate.evidence!.policy.sha256).not.toBe(underHeadPolicy.evidence.policy.sha256);
    expect(gate.report).toContain(
      `This pull request changes \`${POLICY_PATH}\`: the policy in force on the base branch was used`,
    );
  }, 180_000);
});
