/**
 * The `github` and `runner` contexts and the standard environment variables a step sees
 * (GITHUB_*, RUNNER_*, CI), built from the event, the run and the job's folders.
 */
import os from 'node:os';
import type { EventFacts } from './events.ts';
import type { JsonValue } from './expressions.ts';
import type { RepositorySource, RunIdentity } from './ports.ts';

export interface ServerUrls {
  /** GITHUB_SERVER_URL (`https://github.com`, or the emulator's base URL). */
  serverUrl: string;
  /** GITHUB_API_URL. */
  apiUrl: string;
  /** GITHUB_GRAPHQL_URL. */
  graphqlUrl: string;
}

export interface JobFolders {
  /** GITHUB_WORKSPACE: an empty folder where actions/checkout clones. */
  workspace: string;
  /** RUNNER_TEMP: emptied for each job. */
  temp: string;
  toolCache: string;
  /** GITHUB_EVENT_PATH. */
  eventPath: string;
}

export interface GithubContextInput {
  event: EventFacts;
  repository: RepositorySource;
  run: RunIdentity;
  workflow: { name: string; path: string };
  job: string;
  folders: JobFolders;
  urls: ServerUrls;
  token: string;
}

function refType(ref: string): 'branch' | 'tag' | '' {
  if (ref.startsWith('refs/heads/')) return 'branch';
  if (ref.startsWith('refs/tags/')) return 'tag';
  return '';
}

function refName(ref: string): string {
  if (ref.startsWith('refs/pull/')) return ref.slice('refs/pull/'.length);
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

export function githubContext(input: GithubContextInput): Record<string, JsonValue> {
  const { event, repository, run, urls } = input;
  const [owner] = repository.fullName.split('/');
  const workflowRef = `${repository.fullName}/${input.workflow.path}@${event.ref}`;
  return {
    action: '',
    action_path: '',
    action_ref: '',
    action_repository: '',
    actor: event.actor,
    api_url: urls.apiUrl,
    base_ref: event.baseRef,
    event: event.payload as Record<string, JsonValue>,
    event_name: event.name,
    event_path: input.folders.eventPath,
    graphql_url: urls.graphqlUrl,
    head_ref: event.headRef,
    job: input.job,
    ref: event.ref,
    ref_name: refName(event.ref),
    ref_protected: false,
    ref_type: refType(event.ref),
    repository: repository.fullName,
    repository_owner: owner,
    repositoryUrl: `git://${urls.serverUrl.replace(/^https?:\/\//, '')}/${repository.fullName}.git`,
    retention_days: '90',
    run_id: String(run.id),
    run_number: String(run.runNumber),
    run_attempt: String(run.attempt),
    secret_source: 'Actions',
    server_url: urls.serverUrl,
    sha: event.sha,
    token: input.token,
    triggering_actor: event.actor,
    workflow: input.workflow.name,
    workflow_ref: workflowRef,
    workflow_sha: event.sha,
    workspace: input.folders.workspace,
  };
}

export function runnerContext(folders: JobFolders, debug: boolean): Record<string, JsonValue> {
  return {
    name: `taxiway-local-${os.hostname()}`,
    os: 'Linux',
    arch: os.arch() === 'arm64' ? 'ARM64' : 'X64',
    temp: folders.temp,
    tool_cache: folders.toolCache,
    environment: 'self-hosted',
    debug: debug ? '1' : '',
  };
}

/** The GITHUB_* / RUNNER_* variables every step gets (GitHub sets no GITHUB_TOKEN unless the workflow passes one). */
export function standardEnvironment(
  github: Record<string, JsonValue>,
  runner: Record<string, JsonValue>,
): Record<string, string> {
  const text = (value: JsonValue | undefined) => (value === undefined || value === null ? '' : String(value));
  const env: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTOR: text(github.actor),
    GITHUB_API_URL: text(github.api_url),
    GITHUB_BASE_REF: text(github.base_ref),
    GITHUB_EVENT_NAME: text(github.event_name),
    GITHUB_EVENT_PATH: text(github.event_path),
    GITHUB_GRAPHQL_URL: text(github.graphql_url),
    GITHUB_HEAD_REF: text(github.head_ref),
    GITHUB_JOB: text(github.job),
    GITHUB_REF: text(github.ref),
    GITHUB_REF_NAME: text(github.ref_name),
    GITHUB_REF_PROTECTED: text(github.ref_protected),
    GITHUB_REF_TYPE: text(github.ref_type),
    GITHUB_REPOSITORY: text(github.repository),
    GITHUB_REPOSITORY_OWNER: text(github.repository_owner),
    GITHUB_RETENTION_DAYS: text(github.retention_days),
    GITHUB_RUN_ATTEMPT: text(github.run_attempt),
    GITHUB_RUN_ID: text(github.run_id),
    GITHUB_RUN_NUMBER: text(github.run_number),
    GITHUB_SERVER_URL: text(github.server_url),
    GITHUB_SHA: text(github.sha),
    GITHUB_TRIGGERING_ACTOR: text(github.triggering_actor),
    GITHUB_WORKFLOW: text(github.workflow),
    GITHUB_WORKFLOW_REF: text(github.workflow_ref),
    GITHUB_WORKFLOW_SHA: text(github.workflow_sha),
    GITHUB_WORKSPACE: text(github.workspace),
    RUNNER_ARCH: text(runner.arch),
    RUNNER_ENVIRONMENT: text(runner.environment),
    RUNNER_NAME: text(runner.name),
    RUNNER_OS: text(runner.os),
    RUNNER_TEMP: text(runner.temp),
    RUNNER_TOOL_CACHE: text(runner.tool_cache),
  };
  if (runner.debug) env.RUNNER_DEBUG = '1';
  return env;
}
