/**
 * GitHub's JSON shapes for the emulator's records: the URL templates, ids and field sets of
 * api.github.com (learned from the recorded @octokit/fixtures exchanges and checked against the
 * OpenAPI description on every response).
 */
import type { GitCommitObject } from './store/git.ts';
import type {
  Actor,
  CommentRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  JobRecord,
  ProtectionRecord,
  PullRecord,
  StatusRecord,
  WorkflowRecord,
  WorkflowRunRecord,
} from './store/records.ts';
import type { Repository } from './store/repository.ts';

/** Where the emulator is served: the REST root and the web/git root (one origin here). */
export interface Site {
  api: string;
  web: string;
}

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`0:${kind}${id}`).toString('base64');
}

export function user(site: Site, actor: Actor) {
  // Bot logins are percent-encoded in URLs (`/users/github-actions%5Bbot%5D`), as on GitHub.
  const url = `${site.api}/users/${encodeURIComponent(actor.login)}`;
  return {
    login: actor.login,
    id: actor.id,
    node_id: nodeId(actor.type, actor.id),
    avatar_url: `${site.web}/avatars/u/${actor.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${site.web}/${encodeURIComponent(actor.login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: actor.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/**
 * GitHub's no-reply address (`ID+login@users.noreply.github.com`), without a bot's `[bot]`, which
 * the description's `email` format refuses.
 */
export function noreplyEmail(actor: { id: number; login: string }): string {
  return `${actor.id}+${actor.login.replace(/\[bot\]$/, '')}@users.noreply.github.com`;
}

export function ownerActor(repo: Repository): Actor {
  return { login: repo.owner, id: 1, type: 'Organization' };
}

export function repoApi(site: Site, repo: Repository): string {
  return `${site.api}/repos/${repo.fullName}`;
}

export function repoWeb(site: Site, repo: Repository): string {
  return `${site.web}/${repo.fullName}`;
}

/** The repository object; satisfies `full-repository`, `repository` and `minimal-repository`. */
export function repository(site: Site, repo: Repository, permissions?: { admin: boolean; push: boolean }) {
  const url = repoApi(site, repo);
  const s = repo.state;
  const openPulls = s.pulls.filter((p) => p.state === 'open').length;
  return {
    id: s.id,
    node_id: nodeId('Repository', s.id),
    name: s.name,
    full_name: repo.fullName,
    private: s.private,
    owner: user(site, ownerActor(repo)),
    html_url: repoWeb(site, repo),
    description: null,
    fork: false,
    url,
    forks_url: `${url}/forks`,
    keys_url: `${url}/keys{/key_id}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    teams_url: `${url}/teams`,
    hooks_url: `${url}/hooks`,
    issue_events_url: `${url}/issues/events{/number}`,
    events_url: `${url}/events`,
    assignees_url: `${url}/assignees{/user}`,
    branches_url: `${url}/branches{/branch}`,
    tags_url: `${url}/tags`,
    blobs_url: `${url}/git/blobs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    trees_url: `${url}/git/trees{/sha}`,
    statuses_url: `${url}/statuses/{sha}`,
    languages_url: `${url}/languages`,
    stargazers_url: `${url}/stargazers`,
    contributors_url: `${url}/contributors`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    commits_url: `${url}/commits{/sha}`,
    git_commits_url: `${url}/git/commits{/sha}`,
    comments_url: `${url}/comments{/number}`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    contents_url: `${url}/contents/{+path}`,
    compare_url: `${url}/compare/{base}...{head}`,
    merges_url: `${url}/merges`,
    archive_url: `${url}/{archive_format}{/ref}`,
    downloads_url: `${url}/downloads`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    labels_url: `${url}/labels{/name}`,
    releases_url: `${url}/releases{/id}`,
    deployments_url: `${url}/deployments`,
    created_at: s.createdAt,
    updated_at: s.pushedAt,
    pushed_at: s.pushedAt,
    git_url: `${site.web.replace(/^https?:/, 'git:')}/${repo.fullName}.git`,
    ssh_url: `git@${new URL(site.web).host}:${repo.fullName}.git`,
    clone_url: `${site.web}/${repo.fullName}.git`,
    svn_url: repoWeb(site, repo),
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openPulls,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: s.private ? 'private' : 'public',
    forks: 0,
    open_issues: openPulls,
    watchers: 0,
    default_branch: s.defaultBranch,
    ...(permissions
      ? {
          permissions: {
            admin: permissions.admin,
            maintain: permissions.admin,
            push: permissions.push,
            triage: permissions.push,
            pull: true,
          },
        }
      : {}),
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_update_branch: false,
    network_count: 0,
    subscribers_count: 0,
  };
}

export function gitRef(site: Site, repo: Repository, ref: string, sha: string, type = 'commit') {
  const objectPath = type === 'tag' ? 'tags' : 'commits';
  return {
    ref,
    node_id: nodeId('Ref', `${repo.state.id}:${ref}`),
    url: `${repoApi(site, repo)}/git/${ref}`,
    object: { sha, type, url: `${repoApi(site, repo)}/git/${objectPath}/${sha}` },
  };
}

const VERIFICATION = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

export function gitCommit(site: Site, repo: Repository, commit: GitCommitObject) {
  const api = repoApi(site, repo);
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${repoWeb(site, repo)}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${repoWeb(site, repo)}/commit/${sha}`,
    })),
    verification: VERIFICATION,
  };
}

export interface FileChangeSummary {
  filename: string;
  status: 'added' | 'removed' | 'modified';
  sha: string | null;
}

/** The `commit` object of GET /repos/{o}/{r}/commits/{ref}. */
export function commit(site: Site, repo: Repository, c: GitCommitObject, files: FileChangeSummary[] = []) {
  const api = repoApi(site, repo);
  const web = repoWeb(site, repo);
  return {
    url: `${api}/commits/${c.sha}`,
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    html_url: `${web}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${c.sha}`,
      author: c.author,
      committer: c.committer,
      message: c.message,
      comment_count: 0,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      verification: VERIFICATION,
    },
    author: null,
    committer: null,
    parents: c.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${web}/commit/${sha}` })),
    stats: { total: files.length, additions: 0, deletions: 0 },
    files: files.map((f) => ({
      sha: f.sha,
      filename: f.filename,
      status: f.status,
      additions: 0,
      deletions: 0,
      changes: 0,
      blob_url: `${web}/blob/${c.sha}/${f.filename}`,
      raw_url: `${web}/raw/${c.sha}/${f.filename}`,
      contents_url: `${api}/contents/${f.filename}?ref=${c.sha}`,
    })),
  };
}

/** `nullable-simple-commit`, as in a workflow run's `head_commit`. */
export function simpleCommit(c: GitCommitObject) {
  return {
    id: c.sha,
    tree_id: c.tree,
    message: c.message,
    timestamp: c.committer.date,
    author: { name: c.author.name, email: c.author.email },
    committer: { name: c.committer.name, email: c.committer.email },
  };
}

export interface PullLive {
  headSha: string;
  baseSha: string;
  mergeable: boolean | null;
  mergeableState: string;
  commits: number;
  changedFiles: number;
  comments: number;
}

function pullCore(site: Site, repo: Repository, pr: PullRecord, live: PullLive) {
  const api = repoApi(site, repo);
  const web = repoWeb(site, repo);
  const url = `${api}/pulls/${pr.number}`;
  const repoJson = repository(site, repo);
  const ownerJson = user(site, ownerActor(repo));
  return {
    url,
    id: pr.id,
    node_id: nodeId('PullRequest', pr.id),
    html_url: `${web}/pull/${pr.number}`,
    diff_url: `${web}/pull/${pr.number}.diff`,
    patch_url: `${web}/pull/${pr.number}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: user(site, pr.user),
    body: pr.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    draft: pr.draft,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${live.headSha}`,
    head: { label: `${repo.owner}:${pr.headRef}`, ref: pr.headRef, sha: live.headSha, user: ownerJson, repo: repoJson },
    base: { label: `${repo.owner}:${pr.baseRef}`, ref: pr.baseRef, sha: live.baseSha, user: ownerJson, repo: repoJson },
    _links: {
      self: { href: url },
      html: { href: `${web}/pull/${pr.number}` },
      issue: { href: `${api}/issues/${pr.number}` },
      comments: { href: `${api}/issues/${pr.number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/statuses/${live.headSha}` },
    },
    author_association: pr.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    auto_merge: null,
  };
}

/** `pull-request-simple`, as in lists. */
export function pullRequestSimple(site: Site, repo: Repository, pr: PullRecord, live: PullLive) {
  return pullCore(site, repo, pr, live);
}

/** `pull-request`, as in GET/POST/PATCH of one pull request. */
export function pullRequest(site: Site, repo: Repository, pr: PullRecord, live: PullLive) {
  return {
    ...pullCore(site, repo, pr, live),
    merged: pr.mergedAt !== null,
    mergeable: live.mergeable,
    rebaseable: live.mergeable,
    mergeable_state: live.mergeableState,
    merged_by: pr.mergedBy ? user(site, pr.mergedBy) : null,
    comments: live.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: live.commits,
    additions: 0,
    deletions: 0,
    changed_files: live.changedFiles,
  };
}

export function issueComment(site: Site, repo: Repository, comment: CommentRecord) {
  const api = repoApi(site, repo);
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${api}/issues/comments/${comment.id}`,
    html_url: `${repoWeb(site, repo)}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: user(site, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${api}/issues/${comment.issueNumber}`,
    author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    reactions: {
      url: `${api}/issues/comments/${comment.id}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
    },
  };
}

export function status(site: Site, repo: Repository, s: StatusRecord, withCreator = true) {
  return {
    url: `${repoApi(site, repo)}/statuses/${s.sha}`,
    avatar_url: `${site.web}/avatars/u/${s.creator.id}?v=4`,
    id: s.id,
    node_id: nodeId('StatusContext', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    ...(withCreator ? { creator: user(site, s.creator) } : {}),
  };
}

/** GitHub's combined state: failure if any context failed or errored, pending if any is pending or none exist. */
export function combinedState(statuses: StatusRecord[]): 'failure' | 'pending' | 'success' {
  if (statuses.some((s) => s.state === 'failure' || s.state === 'error')) return 'failure';
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

export function deployment(site: Site, repo: Repository, d: DeploymentRecord) {
  const url = `${repoApi(site, repo)}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: nodeId('Deployment', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.originalEnvironment,
    environment: d.environment,
    description: d.description,
    creator: user(site, d.creator),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: repoApi(site, repo),
    transient_environment: d.transientEnvironment,
    production_environment: d.productionEnvironment,
  };
}

export function deploymentStatus(site: Site, repo: Repository, s: DeploymentStatusRecord) {
  const deploymentUrl = `${repoApi(site, repo)}/deployments/${s.deploymentId}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DeploymentStatus', s.id),
    state: s.state,
    creator: user(site, s.creator),
    description: s.description,
    environment: s.environment,
    target_url: s.logUrl,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    deployment_url: deploymentUrl,
    repository_url: repoApi(site, repo),
    // GitHub's description types these as URIs; unset ones are left out rather than sent as "".
    ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
    ...(s.logUrl ? { log_url: s.logUrl } : {}),
  };
}

export function workflow(site: Site, repo: Repository, w: WorkflowRecord) {
  const file = w.path.split('/').pop()!;
  return {
    id: w.id,
    node_id: nodeId('Workflow', w.id),
    name: w.name,
    path: w.path,
    state: 'active',
    created_at: w.createdAt,
    updated_at: w.createdAt,
    url: `${repoApi(site, repo)}/actions/workflows/${w.id}`,
    html_url: `${repoWeb(site, repo)}/blob/${repo.state.defaultBranch}/${w.path}`,
    badge_url: `${repoWeb(site, repo)}/workflows/${encodeURIComponent(file)}/badge.svg`,
  };
}

export function workflowRun(site: Site, repo: Repository, run: WorkflowRunRecord, head: GitCommitObject | null) {
  const api = repoApi(site, repo);
  const url = `${api}/actions/runs/${run.id}`;
  const minimal = repository(site, repo);
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId('WorkflowRun', run.id),
    check_suite_id: run.id,
    check_suite_node_id: nodeId('CheckSuite', run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.path,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url,
    html_url: `${repoWeb(site, repo)}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    run_started_at: run.runStartedAt ?? run.createdAt,
    actor: user(site, run.actor),
    triggering_actor: user(site, run.triggeringActor),
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${api}/check-suites/${run.id}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${api}/actions/workflows/${run.workflowId}`,
    head_commit: head ? simpleCommit(head) : null,
    repository: minimal,
    head_repository: minimal,
  };
}

export function job(site: Site, repo: Repository, j: JobRecord, run: WorkflowRunRecord) {
  const api = repoApi(site, repo);
  return {
    id: j.id,
    run_id: j.runId,
    run_url: `${api}/actions/runs/${j.runId}`,
    run_attempt: run.runAttempt,
    node_id: nodeId('CheckRun', j.id),
    head_sha: run.headSha,
    url: `${api}/actions/jobs/${j.id}`,
    html_url: `${repoWeb(site, repo)}/actions/runs/${j.runId}/job/${j.id}`,
    status: j.status,
    conclusion: j.conclusion,
    created_at: j.createdAt,
    started_at: j.startedAt,
    completed_at: j.completedAt,
    name: j.name,
    steps: j.steps.map((s) => ({
      name: s.name,
      status: s.status,
      conclusion: s.conclusion,
      number: s.number,
      started_at: s.startedAt,
      completed_at: s.completedAt,
    })),
    check_run_url: `${api}/check-runs/${j.id}`,
    labels: j.labels,
    runner_id: 1,
    runner_name: 'taxiway-local-runner',
    runner_group_id: 1,
    runner_group_name: 'local',
    workflow_name: run.name,
    head_branch: run.headBranch,
  };
}

export function protection(site: Site, repo: Repository, p: ProtectionRecord) {
  const url = `${repoApi(site, repo)}/branches/${p.branch}/protection`;
  return {
    url,
    ...(p.requiredStatusChecks
      ? {
          required_status_checks: {
            url: `${url}/required_status_checks`,
            strict: p.requiredStatusChecks.strict,
            contexts: p.requiredStatusChecks.contexts,
            contexts_url: `${url}/required_status_checks/contexts`,
            checks: p.requiredStatusChecks.contexts.map((context) => ({ context, app_id: null })),
          },
        }
      : {}),
    ...(p.requiredPullRequestReviews
      ? {
          required_pull_request_reviews: {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: p.requiredPullRequestReviews.dismissStaleReviews,
            require_code_owner_reviews: false,
            required_approving_review_count: p.requiredPullRequestReviews.requiredApprovingReviewCount,
            require_last_push_approval: false,
          },
        }
      : {}),
    required_signatures: { url: `${url}/required_signatures`, enabled: false },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins },
    required_linear_history: { enabled: p.requiredLinearHistory },
    allow_force_pushes: { enabled: p.allowForcePushes },
    allow_deletions: { enabled: p.allowDeletions },
    block_creations: { enabled: false },
    required_conversation_resolution: { enabled: false },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  };
}
