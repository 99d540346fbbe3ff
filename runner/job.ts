/**
 * Runs one job as a GitHub-hosted runner would: a fresh, empty workspace; a GITHUB_TOKEN minted
 * with exactly the job's permissions; workflow and job `env`; then each step in order under its
 * `if:` (status functions over the job so far), with `continue-on-error`, `timeout-minutes`,
 * `defaults.run` and the file-command protocol; post steps and cleanup at the end; outputs
 * evaluated last. Everything the job prints goes through the masker into the job log.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../lib/util/errors.ts';
import { githubContext, runnerContext, standardEnvironment, type JobFolders, type ServerUrls } from './contexts.ts';
import type { EventFacts } from './events.ts';
import { statusFunctions, TokenEvaluator, type ExpressionScope, type JsonValue } from './expressions.ts';
import { StepCommandFiles } from './file-commands.ts';
import { hashFilesFunction } from './hash-files.ts';
import { JobLog, type LogSink } from './job-log.ts';
import { SecretMasker } from './masker.ts';
import { grantedScopes, jobPermissions, type DefaultPermissions } from './permissions.ts';
import type {
  Annotation,
  Conclusion,
  JobRecord,
  RepositorySource,
  RunIdentity,
  RunRecorder,
  StepRecord,
  TokenIssuer,
} from './ports.ts';
import { resolveUses, STAND_INS } from './stand-ins/index.ts';
import type { JobEndTask, StandIn } from './stand-ins/stand-in.ts';
import { runLocalAction } from './step-local-action.ts';
import { killProcessGroup } from './step-process.ts';
import { runScriptStep } from './step-run-script.ts';
import { runStandInStep } from './step-stand-in.ts';
import { StepOutputReader } from './step-output.ts';
import { literalText } from './tokens.ts';
import type { Workflow, WorkflowJob, WorkflowStep } from './workflow.ts';

/** What every job of every run shares. */
export interface JobEnvironment {
  repository: RepositorySource;
  tokens: TokenIssuer;
  recorder: RunRecorder;
  urls: ServerUrls;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  defaultPermissions: DefaultPermissions;
  /** The Node that runs `node24` actions (the runner's own). */
  nodePath: string;
  /** Variables of the machine passed to steps (PATH, HOME, …); GITHUB_* and INPUT_* never leak in. */
  hostEnv: Record<string, string>;
  /** Keep each job's folders after the job (for inspection). */
  keepWorkspaces: boolean;
  live?: LogSink;
  now: () => Date;
  standIns?: readonly StandIn[];
  /** The actions/cache store. */
  cacheDir: string;
}

export interface NeedResult {
  result: Conclusion;
  outputs: Record<string, string>;
}

export interface JobRequest {
  workflow: Workflow;
  job: WorkflowJob;
  event: EventFacts;
  run: RunIdentity;
  /** The run's folder; the job works in `<runDir>/<job key>`. */
  runDir: string;
  needs: Record<string, NeedResult>;
  inputs: Record<string, JsonValue>;
  /** The run's cancellation. */
  signal: AbortSignal;
}

export interface JobResult {
  conclusion: Conclusion;
  outputs: Record<string, string>;
  record: JobRecord;
}

/** What a step handler reports. */
export interface StepOutcome {
  status: 'success' | 'failure' | 'skipped' | 'cancelled';
  outputs?: Record<string, string>;
  /** The error line to log (`Process completed with exit code 1.`). */
  error?: string;
}

/** What step handlers get from the job. */
export interface StepRuntime {
  step: WorkflowStep;
  evaluator: TokenEvaluator;
  scope: ExpressionScope;
  folders: JobFolders;
  /** The step's process environment without INPUT_ variables and file commands. */
  env: Record<string, string>;
  commandFiles: StepCommandFiles;
  output: StepOutputReader;
  log: JobLog;
  masker: SecretMasker;
  timeoutMs?: number;
  signal: AbortSignal;
  processGroups: number[];
  nodePath: string;
  defaults: { shell?: string; workingDirectory?: string };
  event: EventFacts;
  repository: RepositorySource;
  jobToken: string;
  tokens: TokenIssuer;
  addPath(folder: string): void;
  atJobEnd(task: JobEndTask): void;
  /** GITHUB_STATE / save-state values of this step, filled when it ends (for its post step). */
  savedState: Record<string, string>;
  /** The run's artifact folder. */
  artifactsDir: string;
  cacheDir: string;
}

const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

function defaultStepName(step: WorkflowStep, evaluate: (t: WorkflowStep['run']) => string): string {
  if (step.uses) return `Run ${step.uses.value}`;
  const script = step.run ? evaluate(step.run) : '';
  return `Run ${
    script
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  }`;
}

function number(value: JsonValue, what: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function runDefaults(value: JsonValue | undefined): { shell?: string; workingDirectory?: string } {
  const run =
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, JsonValue>).run : undefined;
  if (!run || typeof run !== 'object' || Array.isArray(run)) return {};
  const result: { shell?: string; workingDirectory?: string } = {};
  if (typeof run.shell === 'string') result.shell = run.shell;
  if (typeof run['working-directory'] === 'string') result.workingDirectory = run['working-directory'];
  return result;
}

export async function runJob(env: JobEnvironment, request: JobRequest): Promise<JobResult> {
  const { workflow, job, event, run } = request;
  const evaluator = new TokenEvaluator(workflow.path);
  const now = () => env.now().toISOString();
  const debug = env.secrets.ACTIONS_STEP_DEBUG === 'true' || env.vars.ACTIONS_STEP_DEBUG === 'true';

  const jobRoot = path.join(request.runDir, job.id);
  const folders: JobFolders = {
    workspace: path.join(jobRoot, 'work', workflowRepoName(env.repository), workflowRepoName(env.repository)),
    temp: path.join(jobRoot, 'temp'),
    toolCache: path.join(jobRoot, 'tool-cache'),
    eventPath: path.join(jobRoot, 'temp', '_github_workflow', 'event.json'),
  };
  const needsContext = Object.fromEntries(
    Object.entries(request.needs).map(([key, need]) => [key, { result: need.result, outputs: need.outputs }]),
  ) as Record<string, JsonValue>;
  const baseContexts = {
    needs: needsContext,
    vars: env.vars,
    inputs: request.inputs,
    strategy: {},
    matrix: null,
  };

  // The job record exists from the start so the run shows the job in progress.
  const permissions = jobPermissions({
    workflow: workflow.permissions ? evaluator.value(workflow.permissions, { contexts: {} }) : undefined,
    job: job.permissions ? evaluator.value(job.permissions, { contexts: {} }) : undefined,
    fallback: env.defaultPermissions,
    place: job.place,
  });
  // The name may use github, needs, vars, inputs; the token is not minted yet (and never belongs in a name).
  const namingGithub = githubContext({
    event,
    repository: env.repository,
    run,
    workflow,
    job: job.id,
    folders,
    urls: env.urls,
    token: '',
  });
  let name = job.id;
  try {
    if (job.name) name = evaluator.string(job.name, { contexts: { ...baseContexts, github: namingGithub } });
  } catch {
    // The name is cosmetic; the failing expression is reported by the steps that use it.
  }
  const annotations: Annotation[] = [];
  const steps: StepRecord[] = job.steps.map((step, index) => ({
    number: index + 1,
    name: literalText(step.name) ?? (step.uses ? `Run ${step.uses.value}` : 'Run'),
    status: 'queued',
    conclusion: null,
    outcome: null,
    startedAt: null,
    completedAt: null,
  }));
  const record: JobRecord = {
    key: job.id,
    name,
    status: 'in_progress',
    conclusion: null,
    startedAt: now(),
    completedAt: null,
    labels: labelsOf(job, evaluator),
    permissions,
    outputs: {},
    steps,
    summary: '',
    annotations,
  };
  const { id: jobId } = await env.recorder.createJob(run.id, record);
  const masker = new SecretMasker();
  for (const value of Object.values(env.secrets)) masker.add(value);
  const log = new JobLog({
    masker,
    flushTo: (lines) => env.recorder.appendJobLog(jobId, lines),
    live: env.live && ((line) => env.live?.(line, { workflow: workflow.path, job: job.id, runId: run.id })),
    now: env.now,
  });

  const abort = new AbortController();
  const onRunCancel = () => abort.abort('cancelled');
  if (request.signal.aborted) onRunCancel();
  request.signal.addEventListener('abort', onRunCancel);
  let cancelled = request.signal.aborted;
  let jobStatus: 'success' | 'failure' | 'cancelled' = 'success';
  const jobEndTasks: JobEndTask[] = [];
  const processGroups: number[] = [];
  const pathPrepends: string[] = [];
  const summaries: string[] = [];
  const stepsContext: Record<string, JsonValue> = {};
  let token = '';
  let timer: NodeJS.Timeout | undefined;

  const fail = (message: string) => {
    jobStatus = 'failure';
    annotations.push({ level: 'error', message: masker.mask(message) });
    log.marker('error', message);
  };

  try {
    log.group('Set up job');
    log.write(`Local runner (Taxiway) on ${process.platform}/${process.arch}, Node ${process.version}`);
    log.write(`Workflow: ${workflow.path}@${event.sha}`);
    log.write('GITHUB_TOKEN Permissions');
    for (const [scope, access] of Object.entries(grantedScopes(permissions))) log.write(`  ${scope}: ${access}`);
    const issued = await env.tokens.jobToken({ runId: run.id, job: job.id, permissions });
    token = issued.token;
    masker.add(token);
    await mkdir(folders.workspace, { recursive: true });
    await mkdir(folders.toolCache, { recursive: true });
    await mkdir(path.dirname(folders.eventPath), { recursive: true });
    await writeFile(folders.eventPath, JSON.stringify(event.payload, null, 2));
    log.endGroup();

    const github = githubContext({
      event,
      repository: env.repository,
      run,
      workflow,
      job: job.id,
      folders,
      urls: env.urls,
      token,
    });
    const runner = runnerContext(folders, debug);
    const secrets = { ...env.secrets, GITHUB_TOKEN: token };
    const jobLevelScope: ExpressionScope = { contexts: { ...baseContexts, github, secrets, runner, env: {} } };
    // Workflow env, then job env over it; GITHUB_ENV writes go over both for later steps.
    const globalEnv: Record<string, string> = evaluator.stringMap(workflow.env, jobLevelScope);
    Object.assign(
      globalEnv,
      evaluator.stringMap(job.env, { contexts: { ...jobLevelScope.contexts, env: { ...globalEnv } } }),
    );
    const defaults = {
      ...runDefaults(workflow.defaults ? evaluator.value(workflow.defaults, jobLevelScope) : undefined),
      ...runDefaults(job.defaults ? evaluator.value(job.defaults, jobLevelScope) : undefined),
    };
    const timeoutMinutes = job.timeoutMinutes
      ? number(evaluator.value(job.timeoutMinutes, jobLevelScope), `${job.place}: timeout-minutes`)
      : DEFAULT_JOB_TIMEOUT_MINUTES;
    timer = setTimeout(() => abort.abort('timeout'), timeoutMinutes * 60_000);
    timer.unref();

    // Step-level status: success() while no step has failed (continue-on-error steps do not count).
    const stepFunctions = () => [
      ...statusFunctions({
        success: () => jobStatus === 'success' && !cancelled,
        failure: () => jobStatus === 'failure',
        cancelled: () => cancelled,
      }),
      hashFilesFunction(folders.workspace),
    ];

    for (const [index, step] of job.steps.entries()) {
      const stepRecord = steps[index];
      cancelled = cancelled || abort.signal.aborted;
      const stepEnvContext = { ...globalEnv };
      const scope: ExpressionScope = {
        contexts: {
          ...baseContexts,
          github: { ...github, action: step.id },
          secrets,
          runner,
          env: stepEnvContext,
          steps: { ...stepsContext },
          job: { status: jobStatus },
        },
        functions: stepFunctions(),
      };
      const displayName = (() => {
        try {
          return step.name
            ? evaluator.string(step.name, scope)
            : defaultStepName(step, (t) => (t ? evaluator.string(t, scope) : ''));
        } catch {
          // The script itself fails to evaluate (the step will report it): show it as written.
          const source = (step.run as { source?: string } | undefined)?.source;
          return source ? `Run ${source.split('\n')[0]}` : `Run ${step.id}`;
        }
      })();
      stepRecord.name = displayName;
      let runIt: boolean;
      try {
        runIt = evaluator.condition(step.if, scope);
      } catch (error) {
        stepRecord.status = 'completed';
        stepRecord.conclusion = stepRecord.outcome = 'failure';
        fail(`The step's 'if' failed: ${errorMessage(error)}`);
        continue;
      }
      if (!runIt) {
        Object.assign(stepRecord, { status: 'completed', conclusion: 'skipped', outcome: 'skipped' });
        if (step.explicitId) stepsContext[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      stepRecord.status = 'in_progress';
      stepRecord.startedAt = now();
      await env.recorder.updateJob(jobId, record);

      let outcome: StepOutcome;
      let continueOnError = false;
      const savedState: Record<string, string> = {};
      const commandFiles = await StepCommandFiles.create(folders.temp);
      const output = new StepOutputReader({ log, masker, annotations, debug });
      try {
        continueOnError = step.continueOnError ? evaluator.condition(step.continueOnError, scope) : false;
        const stepTimeout = step.timeoutMinutes
          ? number(evaluator.value(step.timeoutMinutes, scope), `${step.place}: timeout-minutes`) * 60_000
          : undefined;
        const stepEnv = evaluator.stringMap(step.env, scope);
        Object.assign(stepEnvContext, stepEnv);
        const processPath = [...pathPrepends]
          .reverse()
          .concat(env.hostEnv.PATH ?? '')
          .filter(Boolean)
          .join(':');
        const runtime: StepRuntime = {
          step,
          evaluator,
          scope,
          folders,
          env: {
            ...env.hostEnv,
            PATH: processPath,
            ...standardEnvironment({ ...github, action: step.id }, runner),
            GITHUB_ACTION: step.id,
            ...globalEnv,
            ...stepEnv,
          },
          commandFiles,
          output,
          log,
          masker,
          timeoutMs: stepTimeout,
          signal: abort.signal,
          processGroups,
          nodePath: env.nodePath,
          defaults,
          event,
          repository: env.repository,
          jobToken: token,
          tokens: env.tokens,
          addPath: (folder) => pathPrepends.push(folder),
          atJobEnd: (task) => jobEndTasks.push(task),
          savedState,
          artifactsDir: path.join(request.runDir, 'artifacts'),
          cacheDir: env.cacheDir,
        };
        log.group(displayName);
        outcome = await runStep(runtime, env.standIns ?? STAND_INS);
      } catch (error) {
        log.endGroup();
        outcome = { status: 'failure', error: errorMessage(error) };
      }
      // File commands count even when the step failed, as on GitHub.
      try {
        const written = await commandFiles.read();
        const outputs = { ...output.outputs, ...(outcome.outputs ?? {}), ...written.outputs };
        if (step.explicitId) stepsContext[step.id] = { outputs, outcome: '', conclusion: '' };
        Object.assign(globalEnv, blockNodeOptions(written.env, log));
        pathPrepends.push(...written.paths);
        if (written.summary.trim()) summaries.push(masker.mask(written.summary));
        Object.assign(savedState, output.state, written.state);
      } catch (error) {
        outcome = { status: 'failure', error: errorMessage(error) };
      }
      if (output.refused.length && outcome.status === 'success') outcome = { status: 'failure' };
      if (outcome.error) {
        annotations.push({ level: 'error', message: masker.mask(outcome.error) });
        log.marker('error', outcome.error);
      }
      const stepOutcome: Conclusion = outcome.status;
      const conclusion: Conclusion = stepOutcome === 'failure' && continueOnError ? 'success' : stepOutcome;
      Object.assign(stepRecord, { status: 'completed', outcome: stepOutcome, conclusion, completedAt: now() });
      if (step.explicitId) {
        const entry = stepsContext[step.id] as Record<string, JsonValue> | undefined;
        stepsContext[step.id] = { outputs: entry?.outputs ?? {}, outcome: stepOutcome, conclusion };
      }
      if (conclusion === 'failure') jobStatus = 'failure';
      if (stepOutcome === 'cancelled') {
        cancelled = true;
        if (abort.signal.reason === 'timeout')
          fail(
            `The job running on runner ${String(runner.name)} has exceeded the maximum execution time of ${timeoutMinutes} minutes.`,
          );
      }
    }

    for (const task of jobEndTasks.reverse()) {
      try {
        await task({ status: jobStatus });
      } catch (error) {
        fail(errorMessage(error));
      }
    }

    // Job outputs: evaluated at the end; a value carrying a secret is dropped, as GitHub does.
    const outputScope: ExpressionScope = {
      contexts: {
        ...baseContexts,
        github,
        secrets,
        runner,
        env: { ...globalEnv },
        steps: stepsContext,
        job: { status: jobStatus },
      },
      functions: stepFunctions(),
    };
    try {
      const outputs = evaluator.stringMap(job.outputs, outputScope);
      for (const [key, value] of Object.entries(outputs)) {
        if (masker.reveals(value)) log.marker('warning', `Skip output '${key}' since it may contain secret.`);
        else record.outputs[key] = value;
      }
    } catch (error) {
      fail(`Evaluating job outputs: ${errorMessage(error)}`);
    }
  } catch (error) {
    fail(errorMessage(error));
  } finally {
    if (timer) clearTimeout(timer);
    request.signal.removeEventListener('abort', onRunCancel);
    log.group('Complete job');
    const orphans = processGroups.filter(killProcessGroup);
    if (orphans.length) log.write(`Cleaned up orphan processes of ${orphans.length} step(s)`);
    log.endGroup();
    if (token) await env.tokens.revoke(token).catch(() => undefined);
    await log.flush();
    if (!env.keepWorkspaces) await rm(jobRoot, { recursive: true, force: true });
  }

  const conclusion: Conclusion = cancelled && jobStatus !== 'failure' ? 'cancelled' : jobStatus;
  Object.assign(record, {
    status: 'completed',
    conclusion,
    completedAt: now(),
    summary: summaries.join('\n'),
  });
  await env.recorder.updateJob(jobId, record);
  return { conclusion, outputs: record.outputs, record };
}

function workflowRepoName(repository: RepositorySource): string {
  return repository.fullName.split('/')[1] ?? 'repository';
}

function labelsOf(job: WorkflowJob, evaluator: TokenEvaluator): string[] {
  if (!job.runsOn) return [];
  try {
    const value = evaluator.value(job.runsOn, { contexts: {} });
    return (Array.isArray(value) ? value : [value]).map(String);
  } catch {
    return [];
  }
}

/** GITHUB_ENV may not set NODE_OPTIONS (GitHub refuses it). */
function blockNodeOptions(values: Record<string, string>, log: JobLog): Record<string, string> {
  const result = { ...values };
  for (const key of Object.keys(result)) {
    if (key.toUpperCase() === 'NODE_OPTIONS') {
      log.marker('error', "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
      delete result[key];
    }
  }
  return result;
}

async function runStep(runtime: StepRuntime, standIns: readonly StandIn[]): Promise<StepOutcome> {
  const { step } = runtime;
  if (step.run) return runScriptStep(runtime);
  if (!step.uses) throw new Error(`${step.place}: a step needs run: or uses:`);
  const reference = resolveUses(step.uses.value, step.place, standIns);
  const given = runtime.evaluator.stringMap(step.with, runtime.scope);
  if (reference.kind === 'local') return runLocalAction(runtime, reference.path, given);
  return runStandInStep(runtime, reference.standIn, `${reference.standIn.repository}@${reference.version}`, given);
}
