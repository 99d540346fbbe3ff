/**
 * Workflows and their runs. Workflow files are read from git (`.github/workflows/*.yml` on the
 * default branch, or at the dispatched ref); runs, jobs, logs and job summaries are recorded by the
 * local runner through the library API (`emulator.runs`) and served by the REST endpoints.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ApiError } from './http/api-error.ts';
import type {
  JobRecord,
  RunConclusion,
  RunStatus,
  StepRecord,
  WorkflowRecord,
  WorkflowRunRecord,
} from './store/records.ts';
import { type Actor, timestamp } from './store/records.ts';
import type { Repository } from './store/repository.ts';

export const WORKFLOWS_DIR = '.github/workflows';

export interface WorkflowFile {
  path: string;
  text: string;
}

/** The workflow files in a commit. */
export async function workflowFiles(repo: Repository, sha: string): Promise<WorkflowFile[]> {
  const dir = await repo.git.entryAt(sha, WORKFLOWS_DIR);
  if (!dir || dir.type !== 'tree') return [];
  const files = [];
  for (const entry of await repo.git.readTree(dir.sha)) {
    if (entry.type !== 'blob' || !/\.ya?ml$/.test(entry.path)) continue;
    files.push({
      path: `${WORKFLOWS_DIR}/${entry.path}`,
      text: (await repo.git.readObject(entry.sha)).toString('utf8'),
    });
  }
  return files;
}

function parseWorkflow(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = parseYaml(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The record of a workflow file, created (with a stable id) the first time it is seen. */
export function workflowRecord(repo: Repository, file: WorkflowFile): WorkflowRecord {
  const name = parseWorkflow(file.text)?.name;
  let record = repo.state.workflows.find((w) => w.path === file.path);
  if (!record) {
    record = {
      id: repo.state.id * 1000 + repo.nextId('workflow'),
      path: file.path,
      name: file.path,
      createdAt: timestamp(),
    };
    repo.state.workflows.push(record);
  }
  record.name = typeof name === 'string' && name ? name : file.path;
  return record;
}

/** The workflows on the default branch. */
export async function listWorkflows(repo: Repository): Promise<WorkflowRecord[]> {
  const head = await repo.git.readRef(`refs/heads/${repo.state.defaultBranch}`);
  if (!head) return [];
  return (await workflowFiles(repo, head)).map((file) => workflowRecord(repo, file));
}

/** A workflow by numeric id or file name (`train.yml`), as the REST API addresses it. */
export async function findWorkflow(repo: Repository, idOrFile: string): Promise<WorkflowRecord | undefined> {
  const workflows = await listWorkflows(repo);
  const all = [...workflows, ...repo.state.workflows.filter((w) => !workflows.includes(w))];
  return all.find((w) => String(w.id) === idOrFile || w.path === idOrFile || w.path.endsWith(`/${idOrFile}`));
}

interface DispatchInput {
  required?: boolean;
  default?: unknown;
  type?: string;
  options?: unknown[];
}

/** The `workflow_dispatch` trigger of a workflow file, or undefined when it has none. */
function dispatchTrigger(text: string): { inputs: Record<string, DispatchInput> } | undefined {
  const on = parseWorkflow(text)?.on;
  if (on === 'workflow_dispatch') return { inputs: {} };
  if (Array.isArray(on)) return on.includes('workflow_dispatch') ? { inputs: {} } : undefined;
  if (on && typeof on === 'object' && 'workflow_dispatch' in on) {
    const trigger = (on as Record<string, { inputs?: Record<string, DispatchInput> } | null>).workflow_dispatch;
    return { inputs: trigger?.inputs ?? {} };
  }
  return undefined;
}

/** GitHub's checks of a dispatch's inputs; returns the inputs the run sees (defaults filled in). */
export function checkDispatchInputs(text: string, given: Record<string, unknown>): Record<string, unknown> {
  const trigger = dispatchTrigger(text);
  if (!trigger) throw new ApiError(422, "Workflow does not have 'workflow_dispatch' trigger");
  const unexpected = Object.keys(given).filter((name) => !(name in trigger.inputs));
  if (unexpected.length > 0) throw new ApiError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(trigger.inputs)) {
    const value = given[name] ?? spec?.default;
    if (value === undefined) {
      if (spec?.required) throw new ApiError(422, `Required input '${name}' not provided`);
      continue;
    }
    if (spec?.type === 'choice' && Array.isArray(spec.options) && !spec.options.map(String).includes(String(value))) {
      throw new ApiError(
        422,
        `Provided value '${String(value)}' for input '${name}' not in the list of allowed values`,
      );
    }
    inputs[name] = value;
  }
  return inputs;
}

export interface CreateRunInput {
  /** The workflow file, e.g. `.github/workflows/train.yml`. */
  workflowPath: string;
  event: string;
  headSha: string;
  headBranch: string | null;
  /** Default: the workflow's `name`. */
  name?: string;
  displayTitle?: string;
  actor?: Actor;
  pullRequestNumbers?: number[];
}

export function createRun(repo: Repository, input: CreateRunInput, workflowText?: string): WorkflowRunRecord {
  const file = { path: input.workflowPath, text: workflowText ?? '' };
  let workflow = repo.state.workflows.find((w) => w.path === input.workflowPath);
  if (!workflow || workflowText !== undefined) workflow = workflowRecord(repo, file);
  const now = timestamp();
  const actor = input.actor ?? { login: 'taxiway-runner', id: 2, type: 'User' as const };
  const runNumber = repo.state.runs.filter((r) => r.workflowId === workflow.id).length + 1;
  const run: WorkflowRunRecord = {
    id: repo.state.id * 1_000_000 + repo.nextId('run'),
    workflowId: workflow.id,
    path: input.workflowPath,
    name: input.name ?? workflow.name,
    displayTitle: input.displayTitle ?? input.name ?? workflow.name,
    event: input.event,
    status: 'queued',
    conclusion: null,
    headBranch: input.headBranch,
    headSha: input.headSha,
    runNumber,
    runAttempt: 1,
    actor,
    triggeringActor: actor,
    pullRequestNumbers: input.pullRequestNumbers ?? [],
    createdAt: now,
    updatedAt: now,
    runStartedAt: null,
  };
  repo.state.runs.push(run);
  return run;
}

export function findRun(repo: Repository, runId: number): WorkflowRunRecord {
  const run = repo.state.runs.find((r) => r.id === runId);
  if (!run) throw new ApiError(404, 'Not Found');
  return run;
}

export function findJob(repo: Repository, jobId: number): JobRecord {
  const job = repo.state.jobs.find((j) => j.id === jobId);
  if (!job) throw new ApiError(404, 'Not Found');
  return job;
}

export interface RunUpdate {
  status?: RunStatus;
  conclusion?: RunConclusion | null;
  displayTitle?: string;
}

export function updateRun(repo: Repository, runId: number, update: RunUpdate): WorkflowRunRecord {
  const run = findRun(repo, runId);
  const now = timestamp();
  if (update.status !== undefined) {
    if (update.status === 'in_progress' && !run.runStartedAt) run.runStartedAt = now;
    run.status = update.status;
  }
  if (update.conclusion !== undefined) run.conclusion = update.conclusion;
  if (update.displayTitle !== undefined) run.displayTitle = update.displayTitle;
  run.updatedAt = now;
  return run;
}

export function createJob(repo: Repository, runId: number, input: { name: string; labels?: string[] }): JobRecord {
  findRun(repo, runId);
  const now = timestamp();
  const job: JobRecord = {
    id: repo.state.id * 1_000_000 + repo.nextId('job'),
    runId,
    name: input.name,
    status: 'queued',
    conclusion: null,
    steps: [],
    labels: input.labels ?? ['ubuntu-latest'],
    createdAt: now,
    startedAt: now,
    completedAt: null,
    summary: '',
  };
  repo.state.jobs.push(job);
  return job;
}

export interface JobUpdate {
  status?: RunStatus;
  conclusion?: RunConclusion | null;
  steps?: StepRecord[];
}

export function updateJob(repo: Repository, jobId: number, update: JobUpdate): JobRecord {
  const job = findJob(repo, jobId);
  const now = timestamp();
  if (update.status !== undefined) {
    if (update.status === 'in_progress' && job.status === 'queued') job.startedAt = now;
    if (update.status === 'completed' && !job.completedAt) job.completedAt = now;
    job.status = update.status;
  }
  if (update.conclusion !== undefined) job.conclusion = update.conclusion;
  if (update.steps !== undefined) job.steps = update.steps;
  return job;
}

/** Signed, expiring download URLs, like GitHub's redirect targets for log archives. */
export function signDownload(secret: string, path: string, ttlMs = 60_000): string {
  const expires = Date.now() + ttlMs;
  const signature = createHmac('sha256', secret).update(`${path}:${expires}`).digest('hex');
  return `${path}?expires=${expires}&signature=${signature}`;
}

export function verifyDownload(
  secret: string,
  path: string,
  expires: string | undefined,
  signature: string | undefined,
): boolean {
  if (!expires || !signature || Number(expires) < Date.now()) return false;
  const expected = createHmac('sha256', secret).update(`${path}:${expires}`).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
