/**
 * The local runner: given an event, it reads `.github/workflows/*.yml` at the event's commit,
 * refuses the lot loudly if any file is broken (schema, expressions, unknown actions — with file,
 * line and problem, and a failed run recorded for each broken file, as GitHub shows "Invalid
 * workflow file" runs), decides which workflows the event triggers and runs them.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../lib/util/errors.ts';
import { ConcurrencyGroups } from './concurrency.ts';
import type { ServerUrls } from './contexts.ts';
import { eventFacts } from './events.ts';
import { tokenPlace } from './expressions.ts';
import type { LogSink } from './job-log.ts';
import { jobThatDidNotRun } from './job-records.ts';
import { localTokenIssuer } from './local-tokens.ts';
import type { DefaultPermissions } from './permissions.ts';
import type { EventSource, RepositorySource, RunRecorder, TokenIssuer, WorkflowEvent } from './ports.ts';
import { resolveUses, STAND_INS } from './stand-ins/index.ts';
import type { StandIn } from './stand-ins/stand-in.ts';
import { triggeredWorkflows } from './triggers.ts';
import { loadWorkflow, WorkflowFileError, type Workflow } from './workflow.ts';
import { DispatchInputError, runWorkflow, type RunSettings, type WorkflowRunResult } from './workflow-run.ts';

export const WORKFLOWS_FOLDER = '.github/workflows';

/**
 * Without a forge, GITHUB_API_URL and GITHUB_SERVER_URL point at a closed loopback port: an API
 * call fails at once, locally, and nothing ever reaches github.com.
 */
export const NO_FORGE_URLS: ServerUrls = {
  serverUrl: 'http://127.0.0.1:9',
  apiUrl: 'http://127.0.0.1:9/api/v3',
  graphqlUrl: 'http://127.0.0.1:9/api/graphql',
};

export interface RunnerOptions {
  repository: RepositorySource;
  recorder: RunRecorder;
  /** Token minting; plain random tokens when there is no forge. */
  tokens?: TokenIssuer;
  urls?: ServerUrls;
  /** `secrets.*` (masked in logs and summaries). */
  secrets?: Record<string, string>;
  /** `vars.*`. */
  vars?: Record<string, string>;
  /** The repository's default GITHUB_TOKEN permissions for workflows without `permissions:`. */
  defaultPermissions?: DefaultPermissions;
  /** Where job folders go (a new temporary folder when omitted). */
  workRoot?: string;
  /** The repository's actions/cache store, shared by its runs (default `<workRoot>/cache`). */
  cacheDir?: string;
  keepWorkspaces?: boolean;
  /** Every log line as it is written (the CLI prints them). */
  live?: LogSink;
  now?: () => Date;
  maxParallelJobs?: number;
  /** The Node for `node24` actions (default: the runner's own). */
  nodePath?: string;
  /** Machine variables passed to steps (default: PATH without node_modules/.bin, HOME, locale, TZ, npm's cache). */
  hostEnv?: Record<string, string>;
  standIns?: readonly StandIn[];
}

export interface HandledEvent {
  runs: WorkflowRunResult[];
  /** Workflows the event did not trigger, and why. */
  notTriggered: { workflow: string; reason: string }[];
  /** Why the event started nothing at all (caused by a run's GITHUB_TOKEN). */
  ignored?: string;
}

/** Events GitHub starts workflows for even when a run's GITHUB_TOKEN caused them. */
const STARTED_BY_GITHUB_TOKEN = new Set(['workflow_dispatch', 'repository_dispatch']);

export interface Runner {
  /** The workflows at a commit; throws WorkflowFileError naming file, line and problem for broken ones. */
  workflowsAt(sha: string): Promise<Workflow[]>;
  /** Runs what an event triggers; resolves when those runs are done. */
  handle(event: WorkflowEvent): Promise<HandledEvent>;
  /** Handles every event a source emits, until the returned function is called. */
  listen(
    source: EventSource,
    callbacks?: {
      onHandled?: (event: WorkflowEvent, handled: HandledEvent) => void;
      onError?: (event: WorkflowEvent, error: unknown) => void;
    },
  ): () => void;
  /** Resolves when no event is being handled. */
  idle(): Promise<void>;
}

const HOST_VARIABLES = [
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TERM',
  'TMPDIR',
  'npm_config_cache',
];

/** The machine's variables a step sees; `npm run`'s node_modules/.bin entries are dropped from PATH. */
export function defaultHostEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of HOST_VARIABLES) {
    const value = env[name];
    if (value) result[name] = value;
  }
  result.PATH = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(':')
    .filter((entry) => entry && !entry.includes('/node_modules/'))
    .join(':');
  return result;
}

/** Problems that make a loaded workflow unrunnable here: `uses:` the runner cannot resolve. */
export function unrunnableSteps(workflow: Workflow, standIns: readonly StandIn[]): string[] {
  const problems: string[] = [];
  for (const job of workflow.jobs) {
    for (const step of job.steps) {
      if (!step.uses) continue;
      try {
        resolveUses(step.uses.value, tokenPlace(step.uses, workflow.path), standIns);
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
  }
  return problems;
}

export async function createRunner(options: RunnerOptions): Promise<Runner> {
  const now = options.now ?? (() => new Date());
  const workRoot = options.workRoot ?? (await mkdtemp(path.join(os.tmpdir(), 'taxiway-runner-')));
  await mkdir(workRoot, { recursive: true });
  const standIns = options.standIns ?? STAND_INS;
  // An empty global git config, as on a fresh GitHub runner: a workflow that commits must set its identity.
  const gitConfig = path.join(workRoot, 'gitconfig');
  await writeFile(gitConfig, '');
  const settings: RunSettings = {
    repository: options.repository,
    tokens: options.tokens ?? localTokenIssuer({ now }),
    recorder: options.recorder,
    urls: options.urls ?? NO_FORGE_URLS,
    secrets: options.secrets ?? {},
    vars: options.vars ?? {},
    defaultPermissions: options.defaultPermissions ?? 'restricted',
    nodePath: options.nodePath ?? process.execPath,
    hostEnv: { ...(options.hostEnv ?? defaultHostEnv()), GIT_CONFIG_GLOBAL: gitConfig, GIT_CONFIG_NOSYSTEM: '1' },
    keepWorkspaces: options.keepWorkspaces ?? false,
    live: options.live,
    now,
    standIns,
    cacheDir: options.cacheDir ?? path.join(workRoot, 'cache'),
    workRoot,
    concurrency: new ConcurrencyGroups(),
    maxParallelJobs: options.maxParallelJobs ?? 2,
  };

  const loadAt = async (sha: string): Promise<Workflow[]> => {
    const files = (await options.repository.readFolder(sha, WORKFLOWS_FOLDER)).filter((f) => /\.ya?ml$/.test(f.path));
    const loaded = await Promise.all(
      files.map(async (file) => {
        try {
          const workflow = await loadWorkflow(file);
          const problems = unrunnableSteps(workflow, standIns);
          if (problems.length) throw new WorkflowFileError(file.path, problems);
          return workflow;
        } catch (error) {
          if (error instanceof WorkflowFileError) return error;
          throw error;
        }
      }),
    );
    const broken = loaded.filter((w): w is WorkflowFileError => w instanceof WorkflowFileError);
    if (broken.length) {
      const file = broken.length === 1 ? broken[0].file : WORKFLOWS_FOLDER;
      throw new WorkflowFileError(
        file,
        broken.flatMap((b) => b.problems),
      );
    }
    return loaded as Workflow[];
  };
  // A commit's files never change, so each commit's workflows are loaded once.
  const loadedBySha = new Map<string, Promise<Workflow[]>>();
  const workflowsAt = (sha: string): Promise<Workflow[]> => {
    let loaded = loadedBySha.get(sha);
    if (!loaded) {
      loaded = loadAt(sha);
      loadedBySha.set(sha, loaded);
    }
    return loaded;
  };

  const recordInvalid = async (event: WorkflowEvent, sha: string, error: WorkflowFileError) => {
    const run = await options.recorder.createRun({
      name: 'Invalid workflow file',
      path: WORKFLOWS_FOLDER,
      displayTitle: 'Invalid workflow file',
      event: event.name,
      headBranch: null,
      headSha: sha,
      payload: event.payload,
      workflowText: '',
      queuedRunId: event.queuedRunId,
    });
    const at = now().toISOString();
    await options.recorder.createJob(
      run.id,
      jobThatDidNotRun({
        key: 'workflow-file',
        name: 'Invalid workflow file',
        conclusion: 'failure',
        at,
        errors: error.problems,
      }),
    );
    await options.recorder.updateRun(run.id, { status: 'completed', conclusion: 'failure', completedAt: at });
  };

  const inFlight = new Set<Promise<unknown>>();
  const handle = async (event: WorkflowEvent): Promise<HandledEvent> => {
    if (event.causedBy === 'github-actions' && !STARTED_BY_GITHUB_TOKEN.has(event.name)) {
      return {
        runs: [],
        notTriggered: [],
        ignored: `${event.name} was caused by a run's GITHUB_TOKEN, which starts no workflows`,
      };
    }
    await options.repository.refresh();
    const facts = await eventFacts(event, options.repository);
    let workflows: Workflow[];
    try {
      workflows = await workflowsAt(facts.sha);
    } catch (error) {
      if (error instanceof WorkflowFileError) await recordInvalid(event, facts.sha, error);
      throw error;
    }
    const decisions = await triggeredWorkflows(workflows, facts);
    if (event.name === 'workflow_dispatch' && !decisions.some((d) => d.runs)) {
      // GitHub refuses such a dispatch (422) rather than running nothing.
      const wanted = String(event.payload.workflow ?? '');
      const named = decisions.find((d) => d.workflow.path === wanted || d.workflow.path.endsWith(`/${wanted}`));
      throw new DispatchInputError(
        named
          ? `${named.workflow.path}: Workflow does not have 'workflow_dispatch' trigger`
          : `${wanted}: no such workflow in ${WORKFLOWS_FOLDER} at ${facts.sha}`,
      );
    }
    const runs = await Promise.all(
      decisions
        .filter((d) => d.runs)
        .map((d) => runWorkflow(settings, { workflow: d.workflow, event: facts, queuedRunId: event.queuedRunId })),
    );
    const notTriggered = decisions
      .filter((d) => !d.runs)
      .map((d) => ({ workflow: d.workflow.path, reason: d.reason ?? '' }));
    return { runs, notTriggered };
  };
  const tracked = (event: WorkflowEvent) => {
    const promise = handle(event);
    inFlight.add(promise);
    void promise.catch(() => undefined).finally(() => inFlight.delete(promise));
    return promise;
  };

  return {
    workflowsAt,
    handle: tracked,
    listen(source, callbacks = {}) {
      return source.subscribe((event) => {
        tracked(event).then(
          (handled) => callbacks.onHandled?.(event, handled),
          (error: unknown) => callbacks.onError?.(event, error),
        );
      });
    },
    async idle() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
