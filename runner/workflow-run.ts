/**
 * One workflow run: `workflow_dispatch` inputs checked as GitHub checks them, the run recorded
 * (`run-name`, or GitHub's default title), the workflow's `concurrency` group honoured, then jobs in
 * `needs:` order — each under its `if:` (success() = every job it depends on succeeded, failure()
 * = one failed), its own concurrency group, in parallel up to a limit — and the run's conclusion.
 */
import path from 'node:path';
import { errorMessage } from '../lib/util/errors.ts';
import { ConcurrencyGroups } from './concurrency.ts';
import type { EventFacts } from './events.ts';
import { statusFunctions, TokenEvaluator, type ExpressionScope, type JsonValue } from './expressions.ts';
import { jobThatDidNotRun } from './job-records.ts';
import { runJob, type JobEnvironment, type JobResult, type NeedResult } from './job.ts';
import type { Conclusion, RunIdentity } from './ports.ts';
import type { Workflow, WorkflowJob } from './workflow.ts';

export interface RunSettings extends JobEnvironment {
  /** Where runs keep their job folders. */
  workRoot: string;
  concurrency: ConcurrencyGroups;
  /** Jobs of one run that may run at once (GitHub runs independent jobs in parallel). */
  maxParallelJobs: number;
}

export interface WorkflowRunResult extends RunIdentity {
  workflow: string;
  conclusion: Conclusion;
  jobs: Record<string, { conclusion: Conclusion; outputs: Record<string, string> }>;
}

/** A dispatch GitHub would refuse (422): unknown input, missing required input, bad choice or boolean. */
export class DispatchInputError extends Error {}

type InputDefinition = { type?: string; required?: boolean; default?: unknown; options?: string[] };

/** The `inputs` context of a dispatch: typed values (booleans, numbers), defaults filled in. */
export function dispatchInputs(workflow: Workflow, given: Record<string, unknown>): Record<string, JsonValue> {
  const definitions = (workflow.events.workflow_dispatch?.inputs ?? {}) as Record<string, InputDefinition>;
  const unknown = Object.keys(given).filter((name) => !(name in definitions));
  if (unknown.length)
    throw new DispatchInputError(`${workflow.path}: Unexpected inputs provided: ${JSON.stringify(unknown)}`);
  const result: Record<string, JsonValue> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const raw = given[name] ?? definition.default;
    if (raw === undefined || raw === '') {
      if (definition.required) throw new DispatchInputError(`${workflow.path}: Required input '${name}' not provided`);
    }
    const text = raw === undefined ? '' : String(raw);
    switch (definition.type) {
      case 'boolean':
        if (text !== '' && text !== 'true' && text !== 'false') {
          throw new DispatchInputError(`${workflow.path}: input '${name}' must be true or false, got '${text}'`);
        }
        result[name] = text === 'true';
        break;
      case 'number': {
        const value = Number(text);
        if (text !== '' && !Number.isFinite(value))
          throw new DispatchInputError(`${workflow.path}: input '${name}' must be a number, got '${text}'`);
        result[name] = text === '' ? '' : value;
        break;
      }
      case 'choice':
        if (text !== '' && !(definition.options ?? []).includes(text)) {
          throw new DispatchInputError(
            `${workflow.path}: input '${name}' must be one of [${(definition.options ?? []).join(', ')}], got '${text}'`,
          );
        }
        result[name] = text;
        break;
      default:
        result[name] = text;
    }
  }
  return result;
}

function defaultTitle(workflow: Workflow, event: EventFacts): string {
  const payload = event.payload as { head_commit?: { message?: string }; pull_request?: { title?: string } };
  if (event.name === 'push') return payload.head_commit?.message?.split('\n')[0] || event.sha.slice(0, 7);
  if (event.name.startsWith('pull_request')) return payload.pull_request?.title ?? workflow.name;
  return workflow.name;
}

function concurrencySetting(
  evaluator: TokenEvaluator,
  token: WorkflowJob['concurrency'],
  scope: ExpressionScope,
): { group: string; cancelInProgress: boolean } | undefined {
  if (!token) return undefined;
  const value = evaluator.value(token, scope);
  if (typeof value === 'string') return value ? { group: value, cancelInProgress: false } : undefined;
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.group === 'string') {
    const cancel = value['cancel-in-progress'];
    return { group: value.group, cancelInProgress: cancel === true || cancel === 'true' };
  }
  return undefined;
}

/** Every job a job depends on, directly or through others. */
function ancestors(job: WorkflowJob, byId: Map<string, WorkflowJob>): Set<string> {
  const seen = new Set<string>();
  const visit = (id: string) => {
    for (const need of byId.get(id)?.needs ?? []) {
      if (!seen.has(need)) {
        seen.add(need);
        visit(need);
      }
    }
  };
  visit(job.id);
  return seen;
}

export async function runWorkflow(
  settings: RunSettings,
  request: { workflow: Workflow; event: EventFacts; queuedRunId?: number; signal?: AbortSignal },
): Promise<WorkflowRunResult> {
  const { workflow, event } = request;
  const evaluator = new TokenEvaluator(workflow.path);
  let inputs: Record<string, JsonValue> = {};
  try {
    if (event.name === 'workflow_dispatch') {
      inputs = dispatchInputs(workflow, (event.payload.inputs ?? {}) as Record<string, unknown>);
    }
  } catch (error) {
    // A run the forge queued for this dispatch ends failed rather than waiting forever.
    if (request.queuedRunId !== undefined) {
      await settings.recorder.updateRun(request.queuedRunId, { status: 'completed', conclusion: 'failure' });
    }
    throw error;
  }
  const preliminaryGithub = {
    event: event.payload as Record<string, JsonValue>,
    event_name: event.name,
    ref: event.ref,
    ref_name: event.ref.replace(/^refs\/(heads|tags)\//, ''),
    sha: event.sha,
    actor: event.actor,
    repository: settings.repository.fullName,
    workflow: workflow.name,
    head_ref: event.headRef,
    base_ref: event.baseRef,
  };
  const titleScope: ExpressionScope = { contexts: { github: preliminaryGithub, inputs, vars: settings.vars } };
  const title = workflow.runName ? evaluator.string(workflow.runName, titleScope) : defaultTitle(workflow, event);
  const identity = await settings.recorder.createRun({
    name: workflow.name,
    path: workflow.path,
    displayTitle: title,
    event: event.name,
    headBranch: event.headRef || (event.ref.startsWith('refs/heads/') ? event.ref.slice('refs/heads/'.length) : null),
    headSha: event.sha,
    payload: event.payload,
    workflowText: workflow.content,
    queuedRunId: request.queuedRunId,
  });
  const runDir = path.join(settings.workRoot, `${identity.id}-${identity.attempt}`);
  const abort = new AbortController();
  const cancel = () => abort.abort('cancelled');
  if (request.signal?.aborted) cancel();
  request.signal?.addEventListener('abort', cancel);
  const finish = async (conclusion: Conclusion, jobs: WorkflowRunResult['jobs']): Promise<WorkflowRunResult> => {
    await settings.recorder.updateRun(identity.id, {
      status: 'completed',
      conclusion,
      completedAt: settings.now().toISOString(),
    });
    request.signal?.removeEventListener('abort', cancel);
    return { ...identity, workflow: workflow.path, conclusion, jobs };
  };

  const githubForGroups = { ...preliminaryGithub, run_id: String(identity.id), run_number: String(identity.runNumber) };
  const workflowConcurrency = concurrencySetting(evaluator, workflow.concurrency, {
    contexts: { github: githubForGroups, inputs, vars: settings.vars },
  });
  const lease = workflowConcurrency
    ? await settings.concurrency.enter(`workflow:${workflowConcurrency.group}`, {
        cancelInProgress: workflowConcurrency.cancelInProgress,
        cancel,
      })
    : undefined;
  try {
    if (lease && !lease.admitted) return await finish('cancelled', {});
    await settings.recorder.updateRun(identity.id, { status: 'in_progress', startedAt: settings.now().toISOString() });
    const jobs = await runJobs(settings, {
      workflow,
      event,
      identity,
      runDir,
      inputs,
      signal: abort.signal,
      githubForGroups,
      evaluator,
    });
    const conclusions = Object.values(jobs).map((j) => j.conclusion);
    const conclusion: Conclusion = conclusions.includes('failure')
      ? 'failure'
      : abort.signal.aborted || conclusions.includes('cancelled')
        ? 'cancelled'
        : 'success';
    return await finish(conclusion, jobs);
  } finally {
    lease?.release();
  }
}

async function runJobs(
  settings: RunSettings,
  run: {
    workflow: Workflow;
    event: EventFacts;
    identity: RunIdentity;
    runDir: string;
    inputs: Record<string, JsonValue>;
    signal: AbortSignal;
    githubForGroups: Record<string, JsonValue>;
    evaluator: TokenEvaluator;
  },
): Promise<WorkflowRunResult['jobs']> {
  const { workflow, evaluator } = run;
  const byId = new Map(workflow.jobs.map((job) => [job.id, job]));
  const results = new Map<string, NeedResult>();
  const pending = new Set(workflow.jobs.map((job) => job.id));
  const running = new Map<string, Promise<void>>();

  const decide = async (job: WorkflowJob): Promise<void> => {
    const needs = Object.fromEntries(job.needs.map((id) => [id, results.get(id) as NeedResult]));
    const upstream = [...ancestors(job, byId)].map((id) => results.get(id)?.result);
    const scope: ExpressionScope = {
      contexts: {
        github: run.githubForGroups,
        needs: needs as unknown as JsonValue,
        vars: settings.vars,
        inputs: run.inputs,
      },
      functions: statusFunctions({
        success: () => upstream.every((r) => r === 'success') && !run.signal.aborted,
        failure: () => upstream.includes('failure'),
        cancelled: () => run.signal.aborted,
      }),
    };
    let runIt: boolean;
    try {
      runIt = evaluator.condition(job.if, scope);
    } catch (error) {
      results.set(job.id, { result: 'failure', outputs: {} });
      await recordSkipped(settings, run.identity.id, job, 'failure', errorMessage(error));
      return;
    }
    if (!runIt) {
      results.set(job.id, { result: 'skipped', outputs: {} });
      await recordSkipped(settings, run.identity.id, job, 'skipped');
      return;
    }
    const group = concurrencySetting(evaluator, job.concurrency, scope);
    const jobAbort = new AbortController();
    const forward = () => jobAbort.abort(run.signal.reason);
    run.signal.addEventListener('abort', forward);
    const lease = group
      ? await settings.concurrency.enter(`job:${group.group}`, {
          cancelInProgress: group.cancelInProgress,
          cancel: () => jobAbort.abort('cancelled'),
        })
      : undefined;
    try {
      if (lease && !lease.admitted) {
        results.set(job.id, { result: 'cancelled', outputs: {} });
        await recordSkipped(
          settings,
          run.identity.id,
          job,
          'cancelled',
          'Canceling since a higher priority waiting request exists',
        );
        return;
      }
      const result: JobResult = await runJob(settings, {
        workflow,
        job,
        event: run.event,
        run: run.identity,
        runDir: run.runDir,
        needs,
        inputs: run.inputs,
        signal: jobAbort.signal,
      });
      const continueOnError = job.continueOnError ? evaluator.condition(job.continueOnError, scope) : false;
      const conclusion = result.conclusion === 'failure' && continueOnError ? 'success' : result.conclusion;
      results.set(job.id, { result: conclusion, outputs: result.outputs });
    } finally {
      run.signal.removeEventListener('abort', forward);
      lease?.release();
    }
  };

  while (pending.size > 0 || running.size > 0) {
    const ready = [...pending].filter((id) => (byId.get(id)?.needs ?? []).every((need) => results.has(need)));
    for (const id of ready) {
      if (running.size >= settings.maxParallelJobs) break;
      pending.delete(id);
      const job = byId.get(id) as WorkflowJob;
      running.set(
        id,
        decide(job)
          .catch((error) => {
            results.set(id, { result: 'failure', outputs: {} });
            return recordSkipped(settings, run.identity.id, job, 'failure', errorMessage(error));
          })
          .finally(() => running.delete(id)),
      );
    }
    if (running.size === 0) break; // Nothing can start: the parser already refused cycles and unknown needs.
    await Promise.race(running.values());
  }
  return Object.fromEntries([...results].map(([id, r]) => [id, { conclusion: r.result, outputs: r.outputs }]));
}

async function recordSkipped(
  settings: RunSettings,
  runId: number,
  job: WorkflowJob,
  conclusion: Conclusion,
  message?: string,
): Promise<void> {
  const at = settings.now().toISOString();
  await settings.recorder.createJob(
    runId,
    jobThatDidNotRun({ key: job.id, name: job.id, conclusion, at, errors: message ? [message] : [] }),
  );
}
