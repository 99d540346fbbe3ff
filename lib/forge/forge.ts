/**
 * The forge: what the model lifecycle needs from GitHub, and nothing more. One repository per
 * instance. Implementations: `createOctokitForge` (GitHub, GitHub Enterprise Server or the emulator
 * through `GITHUB_API_URL`) and `createMemoryForge` (in-process, for unit tests). Every
 * implementation passes the contract suite in `forge.case.test.ts`.
 *
 * Refs are written as GitHub's git data API writes them, without the `refs/` prefix:
 * `heads/promote/2001-05-01-732e194c`, `tags/v1`. Errors are the typed errors of `errors.ts`.
 */

export type CommitState = 'error' | 'failure' | 'pending' | 'success';
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
export type MergeMethod = 'merge' | 'squash' | 'rebase';
export type WorkflowRunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type WorkflowRunConclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale';

export interface ForgeRepository {
  owner: string;
  repo: string;
  defaultBranch: string;
  htmlUrl: string;
  /** Where `git clone`/`git push` go (https://…/owner/repo.git). */
  cloneUrl: string;
}

export interface ForgeRef {
  /** Full ref name: `refs/heads/main`. */
  ref: string;
  sha: string;
}

export interface ForgePerson {
  name: string;
  email: string;
  date?: string;
}

export interface ForgeCommit {
  sha: string;
  message: string;
  treeSha: string;
  parents: string[];
  author: ForgePerson;
  committer: ForgePerson;
}

export interface ForgeFile {
  path: string;
  /** The blob sha, needed by GitHub to update the file through the contents API. */
  sha: string;
  content: Buffer;
}

/** A file's new content (text is written as UTF-8) or `null` to delete it. */
export type FileChange = string | Uint8Array | null;

export interface CommitFilesInput {
  /** Branch to move to the new commit; created when it does not exist. */
  branch: string;
  message: string;
  /** Path → new content, or `null` to delete. */
  files: Record<string, FileChange>;
  /** Parent commit; default the branch's head, or the default branch's head for a new branch. */
  parent?: string;
  author?: ForgePerson;
  /** Move the branch even when the new commit does not descend from its head. */
  force?: boolean;
}

export interface ForgePullRequest {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  title: string;
  body: string | null;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  htmlUrl: string;
  /** GitHub computes this lazily: `null` means not known yet. */
  mergeable: boolean | null;
  mergeCommitSha: string | null;
  mergedAt: string | null;
}

export interface CreatePullRequestInput {
  /** Branch in this repository. */
  head: string;
  base: string;
  title: string;
  body?: string;
  draft?: boolean;
}

export interface UpdatePullRequestInput {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  base?: string;
}

export interface ListPullRequestsQuery {
  /** Branch name in this repository (GitHub's `head=owner:branch` filter). */
  head?: string;
  base?: string;
  state?: 'open' | 'closed' | 'all';
}

export interface MergePullRequestInput {
  method?: MergeMethod;
  /** Refuse (409) if the head moved since this sha was seen. */
  sha?: string;
  commitTitle?: string;
  commitMessage?: string;
}

export interface MergeResult {
  sha: string;
  merged: boolean;
  message: string;
}

export interface ForgeComment {
  id: number;
  body: string;
  htmlUrl: string;
  createdAt: string;
  updatedAt: string;
}

export interface CommitStatusInput {
  state: CommitState;
  context: string;
  description?: string;
  targetUrl?: string;
}

export interface ForgeStatus {
  id: number;
  state: CommitState;
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

export interface CombinedStatus {
  /** GitHub's rule: failure if any context failed or errored, pending if any is pending or none exist. */
  state: 'failure' | 'pending' | 'success';
  sha: string;
  /** The latest status of each context. */
  statuses: ForgeStatus[];
}

export interface CreateDeploymentInput {
  ref: string;
  environment: string;
  payload?: Record<string, unknown>;
  description?: string;
  /** Contexts that must be green on `ref`; GitHub's default (omitted) is every context. */
  requiredContexts?: string[];
  /** GitHub merges the default branch into `ref` first by default; the lifecycle never wants that. */
  autoMerge?: boolean;
  productionEnvironment?: boolean;
}

export interface ForgeDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  payload: Record<string, unknown>;
  description: string | null;
  createdAt: string;
}

export interface DeploymentStatusInput {
  state: DeploymentState;
  description?: string;
  logUrl?: string;
  environmentUrl?: string;
}

export interface ForgeDeploymentStatus {
  id: number;
  state: DeploymentState;
  description: string;
  logUrl: string;
  environmentUrl: string;
  createdAt: string;
}

export interface ListDeploymentsQuery {
  environment?: string;
  ref?: string;
  sha?: string;
}

export interface ForgeWorkflowRun {
  id: number;
  name: string | null;
  /** The workflow file, e.g. `.github/workflows/train.yml`. */
  path: string;
  event: string;
  status: WorkflowRunStatus | null;
  conclusion: WorkflowRunConclusion | null;
  headBranch: string | null;
  headSha: string;
  runNumber: number;
  runAttempt: number;
  htmlUrl: string;
  /** The REST URL that redirects to the log archive. */
  logsUrl: string;
  createdAt: string;
  updatedAt: string;
}

export interface ListWorkflowRunsQuery {
  /** Workflow file name (`train.yml`) or numeric id. */
  workflow?: string | number;
  branch?: string;
  event?: string;
  status?: WorkflowRunStatus | WorkflowRunConclusion;
  headSha?: string;
}

export interface Forge {
  readonly owner: string;
  readonly repo: string;

  getRepository(): Promise<ForgeRepository>;

  /** `undefined` when the ref does not exist. */
  getRef(ref: string): Promise<ForgeRef | undefined>;
  createRef(ref: string, sha: string): Promise<ForgeRef>;
  /** Refuses a non-fast-forward move unless `force` (GitHub: 422 "Update is not a fast forward"). */
  updateRef(ref: string, sha: string, options?: { force?: boolean }): Promise<ForgeRef>;
  deleteRef(ref: string): Promise<void>;

  /** A commit by sha, branch or tag. */
  getCommit(ref: string): Promise<ForgeCommit>;
  /** A file at `ref` (default branch when omitted); `undefined` when the path does not exist. */
  getFile(path: string, ref?: string): Promise<ForgeFile | undefined>;
  /** One commit with several file changes (git data API: blobs → tree → commit → ref). */
  commitFiles(input: CommitFilesInput): Promise<ForgeCommit>;

  createPullRequest(input: CreatePullRequestInput): Promise<ForgePullRequest>;
  getPullRequest(number: number): Promise<ForgePullRequest>;
  listPullRequests(query?: ListPullRequestsQuery): Promise<ForgePullRequest[]>;
  updatePullRequest(number: number, input: UpdatePullRequestInput): Promise<ForgePullRequest>;
  mergePullRequest(number: number, input?: MergePullRequestInput): Promise<MergeResult>;
  closePullRequest(number: number): Promise<ForgePullRequest>;

  /** Comments of an issue or pull request, oldest first, all pages. */
  listIssueComments(issueNumber: number): Promise<ForgeComment[]>;
  createIssueComment(issueNumber: number, body: string): Promise<ForgeComment>;
  updateIssueComment(commentId: number, body: string): Promise<ForgeComment>;

  createCommitStatus(sha: string, input: CommitStatusInput): Promise<ForgeStatus>;
  getCombinedStatus(ref: string): Promise<CombinedStatus>;

  createDeployment(input: CreateDeploymentInput): Promise<ForgeDeployment>;
  createDeploymentStatus(deploymentId: number, input: DeploymentStatusInput): Promise<ForgeDeploymentStatus>;
  /** Newest first, like GitHub. */
  listDeployments(query?: ListDeploymentsQuery): Promise<ForgeDeployment[]>;
  /** Newest first, like GitHub. */
  listDeploymentStatuses(deploymentId: number): Promise<ForgeDeploymentStatus[]>;

  /** `workflow_dispatch`: `workflow` is the file name (`train.yml`) or its numeric id. */
  dispatchWorkflow(workflow: string | number, ref: string, inputs?: Record<string, string>): Promise<void>;
  /** Newest first, like GitHub (first 1,000 runs). */
  listWorkflowRuns(query?: ListWorkflowRunsQuery): Promise<ForgeWorkflowRun[]>;
  getWorkflowRun(runId: number): Promise<ForgeWorkflowRun>;
  /** Where the run's log archive downloads from (GitHub answers the logs endpoint with a redirect). */
  getWorkflowRunLogsUrl(runId: number): Promise<string>;
}

/** `heads/x` → `refs/heads/x`, for comparing with `ForgeRef.ref`. */
export function fullRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/${ref}`;
}

/** `refs/heads/x` or `heads/x` → `heads/x`: the form the git data API takes. */
export function shortRef(ref: string): string {
  return ref.startsWith('refs/') ? ref.slice('refs/'.length) : ref;
}
