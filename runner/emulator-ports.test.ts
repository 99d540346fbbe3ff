/**
 * The runner on the GitHub emulator: events the emulator records start the workflows they trigger,
 * runs, jobs, logs and summaries are recorded as the emulator's workflow runs, and job tokens are
 * minted with the job's permissions and enforced by the emulator's git over HTTP.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatedUrl, gitAsync, startTestEmulator, type TestEmulator } from '../testing/emulator.ts';
import { SAMPLE_WORKFLOWS } from '../testing/workflow-repo.ts';
import { emulatorPorts, type EmulatorPorts } from './emulator-ports.ts';
import type { WorkflowEvent } from './ports.ts';
import { createRunner, type HandledEvent, type Runner } from './runner.ts';

async function seedFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = { 'README.md': '# flights\n' };
  for (const name of ['outputs.yml', 'paths.yml', 'token-permissions.yml']) {
    files[`.github/workflows/${name}`] = await readFile(path.join(SAMPLE_WORKFLOWS, name), 'utf8');
  }
  const actionDir = path.join(SAMPLE_WORKFLOWS, 'actions', 'greet');
  for (const name of await readdir(actionDir)) {
    files[`testing/workflows/actions/greet/${name}`] = await readFile(path.join(actionDir, name), 'utf8');
  }
  return files;
}

describe('local runner on the GitHub emulator', () => {
  let t: TestEmulator;
  let ports: EmulatorPorts;
  let runner: Runner;
  let scratch: string;
  const handled: [WorkflowEvent, HandledEvent][] = [];
  const errors: unknown[] = [];
  const runsOf = (workflow: string) =>
    t.emulator.runs.list(t.fullName).filter((r) => r.path === `.github/workflows/${workflow}`);
  const jobLog = async (runId: number, name: string) => {
    const job = t.emulator.runs.jobs(t.fullName, runId).find((j) => j.name === name);
    if (!job) throw new Error(`run ${runId} has no job ${name}`);
    return t.emulator.runs.readLog(t.fullName, job.id);
  };

  beforeAll(async () => {
    t = await startTestEmulator({ seed: await seedFiles() });
    scratch = await mkdtemp(path.join(os.tmpdir(), 'taxiway-runner-emulator-'));
    ports = await emulatorPorts(t.emulator, t.fullName, { cacheDir: path.join(scratch, 'mirror') });
    runner = await createRunner({
      ...ports,
      secrets: { DEPLOY_TOKEN: 'sekrit-0042' },
      workRoot: path.join(scratch, 'work'),
    });
    runner.listen(ports.events, {
      onHandled: (event, result) => handled.push([event, result]),
      onError: (_e, error) => errors.push(error),
    });
  });
  afterAll(async () => {
    t?.assertNoViolations();
    await t?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('runs the queued run a dispatch created, with job tokens the emulator enforces', async () => {
    await t.forge.dispatchWorkflow('token-permissions.yml', 'main');
    await runner.idle();
    expect(errors).toEqual([]);
    const [run] = runsOf('token-permissions.yml');
    expect(run).toMatchObject({ event: 'workflow_dispatch', status: 'completed', conclusion: 'success' });
    const denied = await jobLog(run.id, 'denied');
    expect(denied).toContain('read-only push outcome: failure');
    expect(denied).toMatch(/403/);
    expect(denied).toContain('  contents: read');
    await ports.repository.refresh();
    await expect(ports.repository.resolve('release/denied')).rejects.toThrow(/no commit/);
    await expect(ports.repository.resolve('release/from-run')).resolves.toMatch(/^[0-9a-f]{40}$/);
  });

  it("starts no workflow for a push made with a run's GITHUB_TOKEN", () => {
    const push = handled.find(
      ([event]) => event.name === 'push' && event.payload.ref === 'refs/heads/release/from-run',
    );
    expect(push?.[0].causedBy).toBe('github-actions');
    expect(push?.[1]).toEqual({
      runs: [],
      notTriggered: [],
      ignored: "push was caused by a run's GITHUB_TOKEN, which starts no workflows",
    });
    expect(runsOf('paths.yml')).toEqual([]);
  });

  it('runs what a git push over HTTP triggers and records jobs, logs and summaries as workflow runs', async () => {
    const work = path.join(scratch, 'clone');
    await gitAsync(scratch, [
      'clone',
      '--quiet',
      authenticatedUrl(ports.repository.cloneUrl, t.emulator.adminToken),
      work,
    ]);
    await gitAsync(work, ['commit', '--quiet', '--allow-empty', '-m', 'Trigger outputs']);
    await gitAsync(work, ['push', '--quiet', 'origin', 'HEAD:main']);
    await runner.idle();
    expect(errors).toEqual([]);
    const [run] = runsOf('outputs.yml');
    expect(run).toMatchObject({
      event: 'push',
      status: 'completed',
      conclusion: 'success',
      displayTitle: 'Trigger outputs',
    });
    const jobs = t.emulator.runs.jobs(t.fullName, run.id);
    expect(jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ['produce', 'success'],
      ['consume', 'success'],
    ]);
    expect(jobs[0].summary).toContain('### Taxi summary');
    expect(jobs[0].steps.map((s) => s.conclusion)).toEqual(['success', 'success', 'success', 'success', 'success']);
    const log = await jobLog(run.id, 'produce');
    expect(log).toContain('##[group]Run ./testing/workflows/actions/greet');
    expect(log).toContain('the token is ***');
    expect(log).not.toContain('sekrit-0042');
    expect(await jobLog(run.id, 'consume')).toContain('greeting: Hello taxi!!');
  });
});
