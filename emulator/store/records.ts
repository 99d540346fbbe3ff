/** What the emulator keeps beside git for one repository (persisted as JSON in the bare repository). */

export type Permission = 'read' | 'write';
export type PermissionName =
  | 'contents'
  | 'pull_requests'
  | 'issues'
  | 'statuses'
  | 'deployments'
  | 'actions'
  | 'workflows'
  | 'administration'
  | 'metadata';
export type Permissions = Partial<Record<PermissionName, Permission>>;

export interface Actor {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export interface PullRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  headRef: string;
  /** The head commit: followed live while open, frozen when closed. */
  headSha: string;
  baseRef: string;
  baseSha: string;
  user: Actor;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: Actor | null;
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  user: Actor;
  createdAt: string;
  updatedAt: string;
}

export interface StatusRecord {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: Actor;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  originalEnvironment: string;
  payload: Record<string, unknown> | string;
  description: string | null;
  productionEnvironment: boolean;
  transientEnvironment: boolean;
  creator: Actor;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentStatusRecord {
  id: number;
  deploymentId: number;
  state: 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
  description: string;
  logUrl: string;
  environmentUrl: string;
  environment: string;
  creator: Actor;
  createdAt: string;
  updatedAt: string;
}

export interface ProtectionRecord {
  branch: string;
  requiredStatusChecks: { strict: boolean; contexts: string[] } | null;
  enforceAdmins: boolean;
  requiredPullRequestReviews: { requiredApprovingReviewCount: number; dismissStaleReviews: boolean } | null;
  requiredLinearHistory: boolean;
  allowForcePushes: boolean;
  allowDeletions: boolean;
}

export type RunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type RunConclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale';

export interface WorkflowRecord {
  id: number;
  path: string;
  name: string;
  createdAt: string;
}

export interface WorkflowRunRecord {
  id: number;
  workflowId: number;
  path: string;
  name: string;
  displayTitle: string;
  event: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
  headBranch: string | null;
  headSha: string;
  runNumber: number;
  runAttempt: number;
  actor: Actor;
  triggeringActor: Actor;
  pullRequestNumbers: number[];
  createdAt: string;
  updatedAt: string;
  runStartedAt: string | null;
}

export interface StepRecord {
  name: string;
  number: number;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: RunConclusion | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface JobRecord {
  id: number;
  runId: number;
  name: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
  steps: StepRecord[];
  labels: string[];
  createdAt: string;
  startedAt: string;
  completedAt: string | null;
  /** Markdown written to GITHUB_STEP_SUMMARY by the job's steps. */
  summary: string;
}

export interface RepositoryState {
  version: 1;
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  private: boolean;
  createdAt: string;
  pushedAt: string;
  counters: Record<string, number>;
  pulls: PullRecord[];
  comments: CommentRecord[];
  statuses: StatusRecord[];
  deployments: DeploymentRecord[];
  deploymentStatuses: DeploymentStatusRecord[];
  protections: ProtectionRecord[];
  workflows: WorkflowRecord[];
  runs: WorkflowRunRecord[];
  jobs: JobRecord[];
}

/** GitHub's timestamp format: ISO 8601 in UTC without milliseconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
