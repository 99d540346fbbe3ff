/**
 * The runner end to end on the sample workflows of testing/workflows/: real git, real bash, the
 * sample node action run from source, runs recorded to files.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowRepo, type WorkflowRepo } from '../testing/workflow-repo.ts';
import { pullRequestEvent, pushEvent, workflowDispatchEvent } from './events.ts';
import type { HandledEvent } from './runner.ts';
import { DispatchInputError } from './workflow-run.ts';

const SECRET = 'sekrit-deploy-token-0042';

function logText(log: string): string {
  return log
    .split('\n')
    .map((line) => line.replace(/^\S+Z /, ''))
    .join('\n');
}

describe('local runner on the sample workflows', () => {
  let repo: WorkflowRepo;
  let push: HandledEvent;
  const context = () => ({ repository: repo.repository, serverUrl: 'http://127.0.0.1:9' });
  const runOf = (handled: HandledEvent, workflow: string) => {
    const run = handled.runs.find((r) => r.workflow === `.github/workflows/${workflow}`);
    if (!run) throw new Error(`${workflow} did not run: ${JSON.stringify(handled.notTriggered)}`);
    return run;
  };
  const log = async (runId: number, job: string) => logText(await repo.recorder.readLog(runId, job));

  beforeAll(async () => {
    repo = await workflowRepo({
      workflows: ['outputs.yml', 'failure.yml', 'expression-error.yml', 'paths.yml', 'dispatch.yml', 'limits.yml'],
      runner: { secrets: { DEPLOY_TOKEN: SECRET } },
    });
    push = await repo.runner.handle(await pushEvent(context(), { ref: 'main' }));
  });
  afterAll(async () => repo?.cleanup());

  it('starts the push workflows and leaves the others, saying why', () => {
    expect(push.runs.map((r) => r.workflow).sort()).toEqual([
      '.github/workflows/expression-error.yml',
      '.github/workflows/failure.yml',
      '.github/workflows/outputs.yml',
    ]);
    expect(push.notTriggered).toEqual(
      expect.arrayContaining([
        { workflow: '.github/workflows/dispatch.yml', reason: 'not triggered by push' },
        { workflow: '.github/workflows/paths.yml', reason: 'branch main is filtered out' },
      ]),
    );
  });

  it('passes outputs from steps to jobs and through needs', async () => {
    const run = runOf(push, 'outputs.yml');
    expect(run.conclusion).toBe('success');
    expect(run.jobs.produce.outputs).toMatchObject({ greeting: 'Hello taxi!!', word: 'taxi' });
    const consume = await log(run.id, 'consume');
    expect(consume).toContain('greeting: Hello taxi!!');
    expect(consume).toContain('result: success');
  });

  it('applies env at workflow, job and step level, GITHUB_ENV, GITHUB_PATH and working-directory', async () => {
    const produce = await log(runOf(push, 'outputs.yml').id, 'produce');
    expect(produce).toContain('levels: step from-workflow');
    expect(produce).toContain('multi=[first line\nsecond line]');
    expect(produce).toContain('env file: set-by-step, level: job');
    expect(produce).toContain('tool-on-path');
    expect(produce).toContain('cwd: testing');
    expect(produce).toContain('shell: bash --noprofile --norc -eo pipefail {0}');
  });

  it('runs a local node action from source with GitHub-mangled INPUT_ names, defaults, post step and state', async () => {
    const run = runOf(push, 'outputs.yml');
    const produce = await log(run.id, 'produce');
    expect(produce).toContain('repository input: taxiway/flights');
    expect(produce).toContain('action path ends with: actions/greet');
    expect(produce).toContain('##[group]Greeting');
    expect(produce).toContain('##[notice]Greeted: Hello taxi!!');
    expect(produce).toContain('post step: greeted taxi');
    const recorded = await repo.recorder.read(run.id);
    const job = recorded.jobs.find((j) => j.key === 'produce');
    expect(job?.annotations).toContainEqual({ level: 'notice', title: 'Greeted', message: 'Hello taxi!!' });
  });

  it('masks secrets and ::add-mask:: values, and drops job outputs that carry a secret', async () => {
    const run = runOf(push, 'outputs.yml');
    const produce = await log(run.id, 'produce');
    expect(produce).not.toContain(SECRET);
    expect(produce).toContain('the token is ***');
    expect(produce).toContain('masked value ***');
    expect(produce).toContain("Skip output 'leaked' since it may contain secret.");
    expect(run.jobs.produce.outputs.leaked).toBeUndefined();
    expect(await log(run.id, 'consume')).toContain('leaked: []');
  });

  it('records the job summary from every step, and the job permissions', async () => {
    const recorded = await repo.recorder.read(runOf(push, 'outputs.yml').id);
    const produce = recorded.jobs.find((j) => j.key === 'produce');
    expect(produce?.summary).toBe('Greeted **taxi**\n\n### Taxi summary\nword: taxi\n');
    expect(produce?.permissions).toMatchObject({ contents: 'read', metadata: 'read', 'pull-requests': 'none' });
    expect(produce?.steps.map((s) => s.conclusion)).toEqual(['success', 'success', 'success', 'success', 'success']);
  });

  it('stores artifacts under the run, relative to the files’ common folder, without excluded files', async () => {
    const url = runOf(push, 'outputs.yml').jobs.produce.outputs['artifact-url'];
    const folder = fileURLToPath(url);
    expect((await readdir(folder)).sort()).toEqual(['action.yml', 'main.ts']);
  });

  it('stops at a failing step, then runs only failure() and always() steps; dependents are skipped', async () => {
    const run = runOf(push, 'failure.yml');
    expect(run.conclusion).toBe('failure');
    expect(run.jobs).toMatchObject({
      breaks: { conclusion: 'failure' },
      'skipped-dependent': { conclusion: 'skipped' },
      'failure-handler': { conclusion: 'success' },
    });
    const breaks = await log(run.id, 'breaks');
    expect(breaks).toContain('allowed failure outcome=failure conclusion=success');
    expect(breaks).toContain('##[error]gates/policy.json:3: the gate failed');
    expect(breaks).toContain('##[error]Process completed with exit code 1.');
    expect(breaks).not.toMatch(/^never printed$/m);
    expect(breaks).toContain('failure() step ran');
    expect(breaks).toContain('always() step ran, job status failure');
    expect(breaks).not.toContain('success() step must not run');
    const recorded = await repo.recorder.read(run.id);
    const steps = recorded.jobs.find((j) => j.key === 'breaks')?.steps ?? [];
    expect(steps.map((s) => [s.outcome, s.conclusion])).toEqual([
      ['failure', 'success'],
      ['success', 'success'],
      ['failure', 'failure'],
      ['skipped', 'skipped'],
      ['success', 'success'],
      ['success', 'success'],
      ['skipped', 'skipped'],
    ]);
    expect(await log(run.id, 'failure-handler')).toContain('handling the failure of breaks (failure)');
  });

  it('fails a step whose expression cannot be evaluated, naming file and line', async () => {
    const run = runOf(push, 'expression-error.yml');
    expect(run.conclusion).toBe('failure');
    const text = await log(run.id, 'evaluate');
    expect(text).toMatch(
      /##\[error\]\.github\/workflows\/expression-error\.yml \(Line: 13, Col: 18\): Error parsing JSON when evaluating fromJson \(in \$\{\{ fromJSON\('not json'\) \}\}\)/,
    );
    expect(text).toContain('still running after the expression error');
  });

  it('applies branch and path filters: Markdown under models/ does not run it, a model file does', async () => {
    const base = await repo.repository.resolve('main');
    const docs = await repo.commit({ 'models/README.md': 'notes\n' }, { branch: 'release/1' });
    const model = await repo.commit({ 'models/v1/model.onnx': 'bytes' }, { branch: 'release/1' });
    await repo.repository.refresh();
    const docsOnly = await repo.runner.handle(
      await pushEvent(context(), { ref: 'release/1', before: base, after: docs }),
    );
    expect(docsOnly.runs).toEqual([]);
    expect(docsOnly.notTriggered).toContainEqual({
      workflow: '.github/workflows/paths.yml',
      reason: 'no changed file passes the paths filter (1 changed)',
    });
    const withModel = await repo.runner.handle(
      await pushEvent(context(), { ref: 'release/1', before: docs, after: model }),
    );
    expect(withModel.runs.map((r) => [r.workflow, r.conclusion])).toEqual([['.github/workflows/paths.yml', 'success']]);
  });

  it('runs pull_request workflows on the base branch filter and the PR diff', async () => {
    await repo.commit({ 'manifests/production.json': '{}\n' }, { branch: 'promote/v2' });
    await repo.repository.refresh();
    const opened = await repo.runner.handle(
      await pullRequestEvent(context(), { action: 'opened', number: 7, head: 'promote/v2' }),
    );
    const run = runOf(opened, 'paths.yml');
    expect(await log(run.id, 'changed')).toContain('paths filter passed for pull_request refs/pull/7/merge');
    const closed = await repo.runner.handle(
      await pullRequestEvent(context(), { action: 'closed', number: 7, head: 'promote/v2' }),
    );
    expect(closed.runs).toEqual([]);
  });

  it('dispatches with typed inputs and refuses inputs GitHub would refuse', async () => {
    const handled = await repo.runner.handle(
      workflowDispatchEvent(context(), {
        workflow: 'dispatch.yml',
        inputs: { reason: 'drift alert', advance: 'true' },
      }),
    );
    const run = runOf(handled, 'dispatch.yml');
    expect(run.conclusion).toBe('success');
    const text = await log(run.id, 'show');
    expect(text).toContain('reason=drift alert advance-boolean=true raw=true size=small event=workflow_dispatch');
    expect(text).toContain('event file inputs: {"reason":"drift alert","advance":"true"}');
    expect((await repo.recorder.read(run.id)).displayTitle).toBe('Dispatch for drift alert');
    const history = await log(run.id, 'history');
    expect(history).toContain('branch: main');
    expect(history).toContain(`commits: ${(await repo.git.raw(['rev-list', '--count', 'main'])).trim()}`);
    expect(history).toContain('credentials: 0');
    await expect(
      repo.runner.handle(workflowDispatchEvent(context(), { workflow: 'dispatch.yml', inputs: { advance: 'true' } })),
    ).rejects.toThrow(DispatchInputError);
    await expect(
      repo.runner.handle(
        workflowDispatchEvent(context(), { workflow: 'dispatch.yml', inputs: { reason: 'x', size: 'huge' } }),
      ),
    ).rejects.toThrow(/must be one of \[small, large\]/);
    await expect(
      repo.runner.handle(
        workflowDispatchEvent(context(), { workflow: 'dispatch.yml', inputs: { reason: 'x', extra: '1' } }),
      ),
    ).rejects.toThrow(/Unexpected inputs provided/);
  });

  it('kills a step over its timeout, ends background processes with the job, and cancels a run for a newer one in its group', async () => {
    const dispatch = (sleep: string) =>
      repo.runner.handle(workflowDispatchEvent(context(), { workflow: 'limits.yml', inputs: { sleep } }));
    const first = dispatch('120');
    // The second dispatch arrives while the first sleeps; cancel-in-progress ends the first.
    await new Promise<void>((resolve) => {
      const wait = () =>
        repo.logLines.some((l) => l.includes('slow step outcome: failure')) ? resolve() : setTimeout(wait, 50);
      wait();
    });
    const second = await dispatch('0');
    const cancelled = runOf(await first, 'limits.yml');
    const finished = runOf(second, 'limits.yml');
    expect(cancelled.conclusion).toBe('cancelled');
    expect(finished.conclusion).toBe('success');
    const text = await log(cancelled.id, 'limits');
    expect(text).toContain('##[error]The action has timed out after 0.02 minutes.');
    expect(text).not.toMatch(/^never finished$/m);
    expect(text).toContain('##[error]The operation was canceled.');
    expect(text).toContain('cancelled() step ran');
    expect(text).toContain('Cleaned up orphan processes');
    expect(await log(finished.id, 'limits')).toMatch(/^slept 0$/m);
  });
});
