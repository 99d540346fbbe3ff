import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokitForge } from '../lib/forge/octokit-forge.ts';
import { AuthError } from '../lib/forge/errors.ts';
import { type TestEmulator, TEST_OWNER, TEST_REPO, startTestEmulator } from '../testing/emulator.ts';
import { startEmulator } from './index.ts';

describe('events, workflow runs and tokens (the library API the local runner uses)', () => {
  let t: TestEmulator;

  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(async () => {
    t.assertNoViolations();
    await t.close();
  });

  const api = (route: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${t.emulator.apiUrl}${route}`, {
      redirect: 'manual',
      ...init,
      headers: {
        authorization: `token ${init.token ?? t.emulator.adminToken}`,
        accept: 'application/vnd.github+json',
        ...init.headers,
      },
    });

  it('records pull_request opened, synchronize and closed (merged) with webhook payloads', async () => {
    const after = t.emulator.events.list().at(-1)?.id ?? 0;
    const head = await t.forge.commitFiles({
      branch: 'promote/v2',
      message: 'promote v2',
      files: { 'm.json': '{}\n' },
    });
    const pr = await t.forge.createPullRequest({ head: 'promote/v2', base: 'main', title: 'Promote v2' });
    const next = await t.forge.commitFiles({
      branch: 'promote/v2',
      message: 'again',
      files: { 'm.json': '{"v":2}\n' },
    });
    const merge = await t.forge.mergePullRequest(pr.number);
    const events = t.emulator.events.list({ after }).map((e) => [e.name, e.action ?? '', e.payload.ref ?? '']);
    expect(events).toEqual([
      ['push', '', 'refs/heads/promote/v2'],
      ['pull_request', 'opened', ''],
      ['push', '', 'refs/heads/promote/v2'],
      ['pull_request', 'synchronize', ''],
      ['push', '', 'refs/heads/main'],
      ['pull_request', 'closed', ''],
    ]);
    const synchronize = t.emulator.events.list({ name: 'pull_request', action: 'synchronize', after })[0]!;
    expect(synchronize.payload).toMatchObject({ number: pr.number, before: head.sha, after: next.sha });
    const closed = t.emulator.events.list({ name: 'pull_request', action: 'closed', after })[0]!;
    expect(closed.payload.pull_request).toMatchObject({
      merged: true,
      merge_commit_sha: merge.sha,
      head: { ref: 'promote/v2' },
    });
    const push = t.emulator.events.list({ name: 'push', after }).at(-1)!;
    expect(push.payload).toMatchObject({ ref: 'refs/heads/main', after: merge.sha, forced: false });
    expect(push.actor).toEqual({ login: 'taxiway-admin', kind: 'user' });
  });

  it('records workflow_dispatch with its inputs (defaults filled in) and the queued run it created', async () => {
    const waiting = t.emulator.events.waitFor({ name: 'workflow_dispatch' }, 5000);
    await t.forge.dispatchWorkflow('train.yml', 'main', { 'as-of': '2001-06-01' });
    const event = await waiting;
    expect(event.payload).toMatchObject({
      workflow: '.github/workflows/train.yml',
      ref: 'refs/heads/main',
      inputs: { 'as-of': '2001-06-01', reason: 'scheduled' },
    });
    const run = t.emulator.runs.get(t.fullName, event.workflowRunId!);
    expect(run).toMatchObject({ status: 'queued', event: 'workflow_dispatch', path: '.github/workflows/train.yml' });
  });

  it('serves the runs the runner records: status, jobs, log archive and job log', async () => {
    const main = (await t.forge.getRef('heads/main'))!.sha;
    const run = await t.emulator.runs.create(t.fullName, {
      workflowPath: '.github/workflows/deploy.yml',
      workflowText: 'name: deploy\non: push\njobs: {}\n',
      event: 'push',
      headSha: main,
      headBranch: 'main',
    });
    await t.emulator.runs.update(t.fullName, run.id, { status: 'in_progress' });
    const job = await t.emulator.runs.createJob(t.fullName, run.id, { name: 'deploy' });
    await t.emulator.runs.updateJob(t.fullName, job.id, { status: 'in_progress' });
    await t.emulator.runs.appendLog(t.fullName, job.id, '##[group]verify\nsha256 ok\n##[endgroup]\n');
    await t.emulator.runs.appendLog(t.fullName, job.id, 'deployed v2\n');
    await t.emulator.runs.appendSummary(t.fullName, job.id, '### Deployed\n| version | v2 |\n');
    await t.emulator.runs.updateJob(t.fullName, job.id, { status: 'completed', conclusion: 'success' });
    await t.emulator.runs.update(t.fullName, run.id, { status: 'completed', conclusion: 'success' });

    const listed = await t.forge.listWorkflowRuns({ event: 'push', status: 'success' });
    expect(listed.map((r) => r.id)).toContain(run.id);
    expect(await t.forge.getWorkflowRun(run.id)).toMatchObject({
      name: 'deploy',
      status: 'completed',
      conclusion: 'success',
      headSha: main,
    });
    const jobs = (await (await api(`/repos/${t.fullName}/actions/runs/${run.id}/jobs`)).json()) as {
      jobs: { name: string; conclusion: string }[];
    };
    expect(jobs.jobs).toMatchObject([{ name: 'deploy', conclusion: 'success' }]);

    const logs = await api(`/repos/${t.fullName}/actions/runs/${run.id}/logs`);
    expect(logs.status).toBe(302);
    const archive = await fetch(logs.headers.get('location')!);
    expect(archive.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await archive.arrayBuffer()));
    expect(Buffer.from(files['0_deploy.txt']!).toString()).toBe(
      '##[group]verify\nsha256 ok\n##[endgroup]\ndeployed v2\n',
    );
    const jobLog = await api(`/repos/${t.fullName}/actions/jobs/${job.id}/logs`);
    expect(await (await fetch(jobLog.headers.get('location')!)).text()).toContain('deployed v2');
    // The download URL is signed: tampering with it is refused.
    expect((await fetch(logs.headers.get('location')!.replace(/signature=../, 'signature=00'))).status).toBe(404);
    expect(t.emulator.runs.jobs(t.fullName, run.id)[0]!.summary).toBe('### Deployed\n| version | v2 |\n');
  });

  it('mints installation tokens with permissions: reads allowed, writes refused with 403', async () => {
    const minted = t.emulator.mintToken({ permissions: { actions: 'read', contents: 'read' } });
    expect(minted.token).toMatch(/^ghs_/);
    const reader = createOctokitForge({
      token: minted.token,
      owner: TEST_OWNER,
      repo: TEST_REPO,
      baseUrl: t.emulator.apiUrl,
      writeIntervalMs: 0,
    });
    expect(Array.isArray(await reader.listWorkflowRuns())).toBe(true);
    const refused = await reader.dispatchWorkflow('train.yml', 'main', { reason: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as AuthError).githubMessage).toBe('Resource not accessible by integration');
    expect((await api(`/repos/${t.fullName}`, { token: 'ghp_not-a-token' })).status).toBe(401);
    expect((await fetch(`${t.emulator.apiUrl}/repos/${t.fullName}`)).status).toBe(404);
  });

  it('marks events caused with a run’s GITHUB_TOKEN, which start no workflows on GitHub', async () => {
    const actions = t.emulator.mintToken({ kind: 'github-actions', permissions: { contents: 'write' } });
    await t.forgeFor(actions.token).commitFiles({ branch: 'bot', message: 'bot', files: { 'bot.txt': 'x' } });
    const push = t.emulator.events.list({ name: 'push' }).at(-1)!;
    expect(push.actor).toEqual({ login: 'github-actions[bot]', kind: 'github-actions' });
  });

  it('keeps everything across a restart on the same directory', async () => {
    const repoPath = t.emulator.repository(t.fullName).path;
    const pulls = await t.forge.listPullRequests({ state: 'all' });
    const runs = t.emulator.runs.list(t.fullName);
    const again = await startEmulator({ repositories: [{ owner: TEST_OWNER, name: TEST_REPO, path: repoPath }] });
    try {
      const forge = createOctokitForge({
        token: again.adminToken,
        owner: TEST_OWNER,
        repo: TEST_REPO,
        baseUrl: again.apiUrl,
        writeIntervalMs: 0,
      });
      expect((await forge.listPullRequests({ state: 'all' })).map((p) => p.number)).toEqual(pulls.map((p) => p.number));
      expect(again.runs.list(t.fullName).map((r) => r.id)).toEqual(runs.map((r) => r.id));
      expect(await again.runs.readLog(t.fullName, again.runs.jobs(t.fullName, runs[0]!.id)[0]?.id ?? 0)).toBeTypeOf(
        'string',
      );
      expect(again.violations).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
