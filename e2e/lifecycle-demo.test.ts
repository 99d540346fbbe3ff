/**
 * `npm run demo` as an end-to-end test: `runDemo`, exactly what the CLI runs (the emulator seeded
 * from this repository's committed HEAD, the local runner executing .github/workflows/, the service
 * following the emulator's git), on its default settings. Then, as the demo's last lines tell a
 * reader to, the emulator is started again on the kept workspace, on the same port, and every
 * record in the timeline is read back through octokit: the runs with their logs, the pull requests,
 * the gate comments, the model-gate statuses, the merge, the refusal (asked again), the pushes, the
 * deployments, and the manifest at each revision the service said it served.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../emulator/index.ts';
import { type DemoResult, runDemo } from '../lib/demo/run-demo.ts';
import { DEMO_FULL_NAME } from '../lib/demo/stack.ts';
import type { DemoRecord } from '../lib/demo/timeline.ts';
import { commentMarker } from '../lib/forge/comments.ts';
import { ProtectedBranchError } from '../lib/forge/errors.ts';
import type { Forge } from '../lib/forge/forge.ts';
import { createOctokitForge } from '../lib/forge/octokit-forge.ts';
import { MODEL_GATE_CONTEXT } from '../lib/gitops/promotion-pr.ts';
import { MANIFEST_PATH, parseManifest } from '../lib/manifest/store.ts';

const exec = promisify(execFile);
const [OWNER, NAME] = DEMO_FULL_NAME.split('/') as [string, string];

let workspace: string;
let result: DemoResult;
let emulator: Emulator;
let forge: Forge;
const lines: string[] = [];

async function git(...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['--git-dir', result.bareRepo, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function championAt(revision: string): Promise<string> {
  return parseManifest(await git('show', `${revision}:${MANIFEST_PATH}`)).champion.version;
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'taxiway-demo-e2e-'));
  result = await runDemo({ workspace, log: (line) => lines.push(line) });
  // The demo has stopped its stack; serve the kept workspace again where its URLs point.
  emulator = await startEmulator({
    port: Number(new URL(result.emulatorUrl).port),
    token: result.adminToken,
    repositories: [{ owner: OWNER, name: NAME, path: result.bareRepo, protection: { requiredChecks: ['model-gate'] } }],
  });
  forge = createOctokitForge({
    token: result.adminToken,
    owner: OWNER,
    repo: NAME,
    baseUrl: emulator.apiUrl,
    writeIntervalMs: 0,
    retries: 0,
  });
}, 900_000);

afterAll(async () => {
  await emulator?.close();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

/** Reads one record back from the restarted emulator (or the git history) and checks it says the same. */
async function verify(record: DemoRecord): Promise<void> {
  switch (record.kind) {
    case 'run': {
      const run = await forge.getWorkflowRun(record.id);
      expect(run.conclusion).toBe(record.conclusion);
      expect(run.path.endsWith(`/${record.workflow}`)).toBe(true);
      const response = await fetch(await forge.getWorkflowRunLogsUrl(record.id), {
        headers: { authorization: `Bearer ${result.adminToken}` },
      });
      expect(response.status).toBe(200);
      const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
      const text = Object.values(files)
        .map((bytes) => Buffer.from(bytes).toString('utf8'))
        .join('\n');
      expect(text).toContain('##[group]Set up job');
      expect(text).toContain(`Workflow: .github/workflows/${record.workflow}@`);
      return;
    }
    case 'pull-request': {
      const pr = await forge.getPullRequest(record.number);
      expect(pr.head.ref).toBe(record.head);
      expect(pr.htmlUrl).toBe(record.url);
      return;
    }
    case 'comment': {
      const comments = await forge.listIssueComments(record.pullRequest);
      const comment = comments.find((c) => c.id === record.id);
      expect(comment?.body).toMatch(/model-gate/);
      // The report is updated in place, never duplicated.
      expect(comments.filter((c) => c.body.startsWith(commentMarker(MODEL_GATE_CONTEXT))).length).toBe(1);
      return;
    }
    case 'status': {
      // The combined status keeps the latest of each context: gate.yml's re-run replaces train.yml's
      // model-gate status on the same head, with the same verdict.
      const combined = await forge.getCombinedStatus(record.sha);
      const latest = combined.statuses.find((s) => s.context === record.context);
      expect(latest?.state ?? 'missing').toBe(record.state);
      expect(latest!.id).toBeGreaterThanOrEqual(record.id);
      return;
    }
    case 'merge': {
      const pr = await forge.getPullRequest(record.pullRequest);
      expect(pr.merged).toBe(true);
      expect(pr.mergeCommitSha).toBe(record.sha);
      return;
    }
    case 'refusal': {
      const pr = await forge.getPullRequest(record.pullRequest);
      expect(pr.merged).toBe(false);
      const again = await forge.mergePullRequest(record.pullRequest).catch((error: unknown) => error);
      expect(again).toBeInstanceOf(ProtectedBranchError);
      expect((again as ProtectedBranchError).githubMessage).toBe(record.message);
      return;
    }
    case 'push': {
      // On main's first-parent history: the merge and the revert are main, not a side branch.
      expect((await git('rev-list', '--first-parent', 'main')).split('\n')).toContain(record.sha);
      return;
    }
    case 'deployment': {
      const deployments = await forge.listDeployments({ sha: record.sha });
      const deployment = deployments.find((d) => d.id === record.id);
      expect(deployment?.environment).toBe(record.environment);
      // As on GitHub, a later successful deployment to the environment marks this one `inactive`.
      const statuses = await forge.listDeploymentStatuses(record.id);
      expect(statuses.map((s) => s.state)).toContain(record.state);
      expect([record.state, 'inactive']).toContain(statuses[0]?.state);
      return;
    }
    case 'serving': {
      expect(await championAt(record.revision)).toBe(record.version);
      return;
    }
  }
}

describe('npm run demo, end to end', () => {
  it('runs the whole loop: promotion, deploy, a refused worse candidate, rollback', () => {
    expect(result.error, lines.slice(-30).join('\n')).toBeUndefined();
    expect(result.timeline.map((step) => step.id)).toEqual([
      'scheduled-training',
      'pull-request-gate',
      'merge',
      'merge-serving',
      'deploy',
      'worse-candidate',
      'refused',
      'rollback',
      'rollback-serving',
      'rollback-deploy',
    ]);
    // Measured, not gated here (speed is judged by the demo's own report): both happened.
    expect(result.figures.mergeToServingMs).toBeGreaterThan(0);
    expect(result.figures.revertToServingMs).toBeGreaterThan(0);
  });

  it('backs every step of the timeline with records the restarted emulator still holds', async () => {
    for (const step of result.timeline) {
      expect(step.records.length, `${step.id} has no record`).toBeGreaterThan(0);
      for (const record of step.records) await verify(record);
    }
  });

  it('promotes, refuses and rolls back the versions it says it did', async () => {
    const byKind = <K extends DemoRecord['kind']>(id: string, kind: K) =>
      result.timeline
        .find((s) => s.id === id)!
        .records.filter((r): r is Extract<DemoRecord, { kind: K }> => r.kind === kind);
    const [promoted] = byKind('merge-serving', 'serving');
    const [restored] = byKind('rollback-serving', 'serving');
    const [promotionRun] = byKind('scheduled-training', 'run');
    const [worseRun] = byKind('worse-candidate', 'run');
    expect(promotionRun?.conclusion).toBe('success');
    expect(worseRun?.conclusion).toBe('failure');
    expect(byKind('scheduled-training', 'status')[0]?.state).toBe('success');
    expect(byKind('worse-candidate', 'status')[0]?.state).toBe('failure');
    expect(byKind('refused', 'refusal')[0]?.status).toBe(405);
    expect(byKind('deploy', 'deployment')[0]?.state).toBe('success');
    expect(byKind('rollback-deploy', 'deployment')[0]?.state).toBe('success');
    // The rollback restored the champion that served before the promotion, by a revert on main.
    const main = (await git('rev-parse', 'main')).trim();
    expect(await championAt(main)).toBe(restored!.version);
    expect(restored!.version).not.toBe(promoted!.version);
    const [merge] = byKind('merge', 'merge');
    expect(await championAt(`${merge!.sha}^1`)).toBe(restored!.version);
    expect(await git('log', '-1', '--format=%s', main)).toBe(
      `rollback flight-delay ${promoted!.version} to ${restored!.version}\n`,
    );
  });
});
