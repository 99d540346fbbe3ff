/**
 * What the runner needs from the outside world, as small interfaces passed in: the repository (git),
 * tokens, a place to record runs, and a stream of events. `emulator-ports.ts` implements them over
 * the GitHub emulator (the demo, the end-to-end tests); `git-repository.ts`, `local-tokens.ts` and
 * `file-recorder.ts` with plain git and files (the CLI without an emulator, the runner's tests).
 */

/** A GitHub event: its name (`push`, `pull_request`, …) and its webhook payload. */
export interface WorkflowEvent {
  name: string;
  payload: Record<string, unknown>;
  /**
   * Who caused it, when the forge knows: GitHub starts no workflows for events caused with a run's
   * GITHUB_TOKEN (`github-actions`), except workflow_dispatch and repository_dispatch.
   */
  causedBy?: 'user' | 'installation' | 'github-actions' | 'anonymous';
  /** The queued run the forge already created for this event (a workflow_dispatch through the API). */
  queuedRunId?: number;
}

/** A GITHUB_TOKEN scope and its access, as in a workflow's `permissions:` (`metadata: read` is implied). */
export type Access = 'read' | 'write' | 'none';
export type Permissions = Record<string, Access>;

export interface CloneRequest {
  /** An empty folder to clone into. */
  dir: string;
  /** The commit to check out (detached when no branch is given). */
  sha: string;
  /** The ref to fetch (`refs/heads/main`, `refs/pull/3/merge`); the sha alone when omitted. */
  ref?: string;
  /** Commits of history to fetch; 0 = all. */
  depth: number;
  /** Token for an HTTP remote (sent as GitHub's `x-access-token` basic credentials). */
  token?: string;
  /** Leave the token in the clone's git config, as actions/checkout does unless `persist-credentials: false`. */
  persistCredentials: boolean;
}

/** The repository the workflows belong to, read through git. */
export interface RepositorySource {
  /** `owner/name`. */
  readonly fullName: string;
  readonly defaultBranch: string;
  /** What actions/checkout clones from: the emulator's git HTTP URL, or a path or file URL. */
  readonly cloneUrl: string;
  /** Fetches what changed since the last call (new branches, pushed commits). */
  refresh(): Promise<void>;
  /** The commit a ref or sha names; throws naming the ref when it does not exist. */
  resolve(ref: string): Promise<string>;
  /** The files directly in a folder at a commit (repository-relative paths and text), in one read. */
  readFolder(sha: string, folder: string): Promise<{ path: string; content: string }[]>;
  /** Files that differ between two commits (`base...head` when `mergeBase`, as GitHub diffs pull requests). */
  changedFiles(base: string, head: string, options?: { mergeBase?: boolean }): Promise<string[]>;
  /** A fresh clone into an empty folder. */
  clone(request: CloneRequest): Promise<void>;
}

export interface IssuedToken {
  token: string;
  permissions: Permissions;
  expiresAt: string;
}

/** Mints tokens: the job's GITHUB_TOKEN with exactly its permissions, and App installation tokens. */
export interface TokenIssuer {
  jobToken(request: { runId: number; job: string; permissions: Permissions }): Promise<IssuedToken>;
  /** For actions/create-github-app-token: the App's installation token, narrowed to `permissions` when given. */
  appToken(request: {
    appId: string;
    owner?: string;
    repositories?: string[];
    permissions?: Permissions;
  }): Promise<IssuedToken & { installationId: number; appSlug: string }>;
  /** Ends a token when its job ends (GitHub revokes GITHUB_TOKEN then). */
  revoke(token: string): Promise<void>;
}

export type RunStatus = 'queued' | 'in_progress' | 'completed';
/** GitHub's conclusions for runs, jobs and steps. */
export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface NewRun {
  /** The workflow's `name:` (or its file path when it has none). */
  name: string;
  /** `.github/workflows/train.yml`. */
  path: string;
  /** The run's title: `run-name:` or GitHub's default for the event. */
  displayTitle: string;
  event: string;
  headBranch: string | null;
  headSha: string;
  /** The event payload, as the workflow saw it in GITHUB_EVENT_PATH. */
  payload: Record<string, unknown>;
  /** The workflow file's text at the run's commit. */
  workflowText: string;
  /** Record the run on this queued run instead of a new one (the forge created it for a dispatch). */
  queuedRunId?: number;
}

export interface RunIdentity {
  id: number;
  runNumber: number;
  attempt: number;
  htmlUrl: string;
}

export interface StepRecord {
  number: number;
  name: string;
  status: RunStatus;
  conclusion: Conclusion | null;
  /** Before `continue-on-error`: a step that failed but may fail has outcome failure, conclusion success. */
  outcome: Conclusion | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface JobRecord {
  /** The job's key in the workflow (`jobs.<id>`). */
  key: string;
  name: string;
  status: RunStatus;
  conclusion: Conclusion | null;
  startedAt: string | null;
  completedAt: string | null;
  /** `runs-on`, as GitHub's job labels. */
  labels: string[];
  /** The GITHUB_TOKEN permissions the job ran with. */
  permissions: Permissions;
  outputs: Record<string, string>;
  steps: StepRecord[];
  /** The job summary: every step's GITHUB_STEP_SUMMARY, in order, masked. */
  summary: string;
  /** `::error::`, `::warning::`, `::notice::` annotations and the runner's own errors. */
  annotations: Annotation[];
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  title?: string;
  file?: string;
  line?: number;
}

/** Where runs, their jobs, logs and summaries go: the emulator's workflow-run records, or files. */
export interface RunRecorder {
  createRun(run: NewRun): Promise<RunIdentity>;
  updateRun(
    runId: number,
    update: { status: RunStatus; conclusion?: Conclusion | null; startedAt?: string; completedAt?: string },
  ): Promise<void>;
  createJob(runId: number, job: JobRecord): Promise<{ id: number }>;
  /** Log lines as GitHub stores them: `<ISO timestamp> <text>`, `##[group]` markers included, secrets masked. */
  appendJobLog(jobId: number, lines: string[]): Promise<void>;
  updateJob(jobId: number, job: JobRecord): Promise<void>;
}

/** A stream of events (the emulator's recorded pushes, pull requests, dispatches; a schedule tick). */
export interface EventSource {
  subscribe(listener: (event: WorkflowEvent) => void): () => void;
}
