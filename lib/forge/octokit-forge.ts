/**
 * The forge on GitHub's REST API through octokit (`@octokit/rest` with the retry and throttling
 * plugins) — the only module in the project that imports octokit. `GITHUB_API_URL` (as on GitHub
 * Enterprise Server, or the emulator) is the only thing that changes where it talks to.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { ForgeError, forgeErrorFromResponse, isNotFound } from './errors.ts';
import {
  type CombinedStatus,
  type CommitFilesInput,
  type Forge,
  type ForgeComment,
  type ForgeCommit,
  type ForgeDeployment,
  type ForgeDeploymentStatus,
  type ForgePullRequest,
  type ForgeRef,
  type ForgeStatus,
  type ForgeWorkflowRun,
  type ListWorkflowRunsQuery,
  shortRef,
} from './forge.ts';

const RestOctokit = Octokit.plugin(retry, throttling);
type RestClient = InstanceType<typeof RestOctokit>;

export interface OctokitForgeOptions {
  token: string;
  owner: string;
  repo: string;
  /** REST root; default `https://api.github.com`. */
  baseUrl?: string;
  /**
   * Least time between two writes. GitHub asks integrators for one second between writes and three
   * between writes that notify people (the throttling plugin's defaults); a local emulator has no
   * such limit, so its users may pass 0.
   */
  writeIntervalMs?: number;
  /** Retries of 5xx/network failures (plugin-retry); default 3. */
  retries?: number;
  userAgent?: string;
}

/** Statuses that retrying cannot fix: GitHub answered, and the answer is about the request. */
const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 451];

export function createOctokitForge(options: OctokitForgeOptions): Forge {
  const client = new RestOctokit({
    auth: options.token,
    baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: options.userAgent ?? 'taxiway-forge',
    // Failed requests surface as typed errors; octokit's own request log would repeat them.
    log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} },
    request: { retries: options.retries ?? 3 },
    retry: { doNotRetry: DO_NOT_RETRY },
    throttle: {
      onRateLimit: (_after: number, _options: unknown, _octokit: unknown, count: number) => count < 2,
      onSecondaryRateLimit: (_after: number, _options: unknown, _octokit: unknown, count: number) => count < 2,
      ...(options.writeIntervalMs === undefined
        ? {}
        : {
            // Writes that notify people (comments, pull requests, merges) wait 3 s by default.
            write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeIntervalMs }),
            notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeIntervalMs }),
          }),
    },
  });
  return new OctokitForge(client, options.owner, options.repo);
}

/**
 * The forge for the repository of the current Actions run: `GITHUB_REPOSITORY`, `GITHUB_API_URL`,
 * and `token` (default `GITHUB_TOKEN`). `TAXIWAY_FORGE_WRITE_INTERVAL_MS` sets `writeIntervalMs`.
 */
export function octokitForgeFromEnv(env: NodeJS.ProcessEnv = process.env, token = env.GITHUB_TOKEN): Forge {
  const repository = env.GITHUB_REPOSITORY;
  if (!repository || !/^[^/]+\/[^/]+$/.test(repository)) {
    throw new Error(`GITHUB_REPOSITORY must be owner/repo (got ${JSON.stringify(repository)})`);
  }
  if (!token) throw new Error('no GitHub token: pass one or set GITHUB_TOKEN');
  const [owner, repo] = repository.split('/') as [string, string];
  const interval = env.TAXIWAY_FORGE_WRITE_INTERVAL_MS;
  return createOctokitForge({
    token,
    owner,
    repo,
    baseUrl: env.GITHUB_API_URL || undefined,
    writeIntervalMs: interval === undefined || interval === '' ? undefined : Number(interval),
  });
}

/* The REST shapes, as far as the mapping below reads them. */
interface RestRef {
  ref: string;
  object: { sha: string };
}
interface RestGitCommit {
  sha: string;
  message: string;
  tree: { sha: string };
  parents: { sha: string }[];
  author: { name?: string; email?: string; date?: string } | null;
  committer: { name?: string; email?: string; date?: string } | null;
}
interface RestPull {
  number: number;
  state: string;
  merged?: boolean;
  merged_at: string | null;
  draft?: boolean;
  title: string;
  body: string | null;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  html_url: string;
  mergeable?: boolean | null;
  merge_commit_sha: string | null;
}
interface RestComment {
  id: number;
  body?: string;
  html_url: string;
  created_at: string;
  updated_at: string;
}
interface RestStatus {
  id: number;
  state: string;
  context: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
}
interface RestDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  payload: unknown;
  description: string | null;
  created_at: string;
}
interface RestDeploymentStatus {
  id: number;
  state: string;
  description?: string;
  log_url?: string;
  environment_url?: string;
  created_at: string;
}
interface RestRun {
  id: number;
  name?: string | null;
  path: string;
  event: string;
  status: string | null;
  conclusion: string | null;
  head_branch: string | null;
  head_sha: string;
  run_number: number;
  run_attempt?: number;
  html_url: string;
  logs_url: string;
  created_at: string;
  updated_at: string;
}

function person(p: RestGitCommit['author']) {
  return { name: p?.name ?? '', email: p?.email ?? '', date: p?.date };
}

function toCommit(c: RestGitCommit): ForgeCommit {
  return {
    sha: c.sha,
    message: c.message,
    treeSha: c.tree.sha,
    parents: c.parents.map((p) => p.sha),
    author: person(c.author),
    committer: person(c.committer),
  };
}

function toRef(r: RestRef): ForgeRef {
  return { ref: r.ref, sha: r.object.sha };
}

function toPull(p: RestPull): ForgePullRequest {
  return {
    number: p.number,
    state: p.state === 'closed' ? 'closed' : 'open',
    merged: p.merged ?? p.merged_at !== null,
    draft: p.draft ?? false,
    title: p.title,
    body: p.body,
    head: { ref: p.head.ref, sha: p.head.sha },
    base: { ref: p.base.ref, sha: p.base.sha },
    htmlUrl: p.html_url,
    mergeable: p.mergeable ?? null,
    mergeCommitSha: p.merge_commit_sha,
    mergedAt: p.merged_at,
  };
}

function toComment(c: RestComment): ForgeComment {
  return { id: c.id, body: c.body ?? '', htmlUrl: c.html_url, createdAt: c.created_at, updatedAt: c.updated_at };
}

function toStatus(s: RestStatus): ForgeStatus {
  return {
    id: s.id,
    state: s.state as ForgeStatus['state'],
    context: s.context,
    description: s.description,
    targetUrl: s.target_url,
    createdAt: s.created_at,
  };
}

function toDeployment(d: RestDeployment): ForgeDeployment {
  const payload =
    typeof d.payload === 'string' ? (d.payload ? (JSON.parse(d.payload) as unknown) : {}) : (d.payload ?? {});
  return {
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    payload: payload as Record<string, unknown>,
    description: d.description,
    createdAt: d.created_at,
  };
}

function toDeploymentStatus(s: RestDeploymentStatus): ForgeDeploymentStatus {
  return {
    id: s.id,
    state: s.state as ForgeDeploymentStatus['state'],
    description: s.description ?? '',
    logUrl: s.log_url ?? '',
    environmentUrl: s.environment_url ?? '',
    createdAt: s.created_at,
  };
}

function toRun(r: RestRun): ForgeWorkflowRun {
  return {
    id: r.id,
    name: r.name ?? null,
    path: r.path,
    event: r.event,
    status: r.status as ForgeWorkflowRun['status'],
    conclusion: r.conclusion as ForgeWorkflowRun['conclusion'],
    headBranch: r.head_branch,
    headSha: r.head_sha,
    runNumber: r.run_number,
    runAttempt: r.run_attempt ?? 1,
    htmlUrl: r.html_url,
    logsUrl: r.logs_url,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function encodeContent(content: string | Uint8Array): { content: string; encoding: 'utf-8' | 'base64' } {
  return typeof content === 'string'
    ? { content, encoding: 'utf-8' }
    : { content: Buffer.from(content).toString('base64'), encoding: 'base64' };
}

class OctokitForge implements Forge {
  private readonly client: RestClient;
  readonly owner: string;
  readonly repo: string;

  constructor(client: RestClient, owner: string, repo: string) {
    this.client = client;
    this.owner = owner;
    this.repo = repo;
  }

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  /** Runs one API call and turns GitHub's error answer into the typed error naming `resource`. */
  private async call<T>(resource: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof RequestError) {
        throw forgeErrorFromResponse(`${resource} in ${this.owner}/${this.repo}`, error.status, error.response?.data);
      }
      throw error;
    }
  }

  async getRepository() {
    const { data } = await this.call('repository', () => this.client.rest.repos.get(this.where));
    return {
      owner: data.owner.login,
      repo: data.name,
      defaultBranch: data.default_branch,
      htmlUrl: data.html_url,
      cloneUrl: data.clone_url,
    };
  }

  async getRef(ref: string) {
    try {
      const { data } = await this.call(`ref ${shortRef(ref)}`, () =>
        this.client.rest.git.getRef({ ...this.where, ref: shortRef(ref) }),
      );
      return toRef(data);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createRef(ref: string, sha: string) {
    const { data } = await this.call(`ref ${shortRef(ref)}`, () =>
      this.client.rest.git.createRef({ ...this.where, ref: `refs/${shortRef(ref)}`, sha }),
    );
    return toRef(data);
  }

  async updateRef(ref: string, sha: string, options: { force?: boolean } = {}) {
    const { data } = await this.call(`ref ${shortRef(ref)}`, () =>
      this.client.rest.git.updateRef({ ...this.where, ref: shortRef(ref), sha, force: options.force ?? false }),
    );
    return toRef(data);
  }

  async deleteRef(ref: string) {
    await this.call(`ref ${shortRef(ref)}`, () =>
      this.client.rest.git.deleteRef({ ...this.where, ref: shortRef(ref) }),
    );
  }

  async getCommit(ref: string) {
    const { data } = await this.call(`commit ${ref}`, () =>
      this.client.rest.repos.getCommit({ ...this.where, ref, per_page: 1 }),
    );
    return toCommit({ ...data.commit, sha: data.sha, parents: data.parents });
  }

  async getFile(path: string, ref?: string) {
    try {
      const { data } = await this.call(`file ${path}${ref ? `@${ref}` : ''}`, () =>
        this.client.rest.repos.getContent({ ...this.where, path, ...(ref ? { ref } : {}) }),
      );
      if (Array.isArray(data) || data.type !== 'file') {
        throw new ForgeError(
          `file ${path} in ${this.owner}/${this.repo}`,
          422,
          `${path} is a ${Array.isArray(data) ? 'directory' : data.type}`,
        );
      }
      // The contents API leaves `content` empty for files over 1 MB; the blob API serves up to 100 MB.
      if (data.size > 0 && !data.content) {
        const blob = await this.call(`blob ${data.sha}`, () =>
          this.client.rest.git.getBlob({ ...this.where, file_sha: data.sha }),
        );
        return { path: data.path, sha: data.sha, content: Buffer.from(blob.data.content, 'base64') };
      }
      return { path: data.path, sha: data.sha, content: Buffer.from(data.content, 'base64') };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async commitFiles(input: CommitFilesInput) {
    const branchRef = `heads/${input.branch}`;
    const current = await this.getRef(branchRef);
    let parentSha = input.parent ?? current?.sha;
    if (!parentSha) {
      const repository = await this.getRepository();
      const base = await this.getRef(`heads/${repository.defaultBranch}`);
      if (!base) throw new ForgeError(`branch ${repository.defaultBranch}`, 404, 'default branch has no commits');
      parentSha = base.sha;
    }
    const parent = await this.call(`commit ${parentSha}`, () =>
      this.client.rest.git.getCommit({ ...this.where, commit_sha: parentSha }),
    );
    const tree: { path: string; mode: '100644'; type: 'blob'; sha: string | null }[] = [];
    for (const [path, content] of Object.entries(input.files)) {
      if (content === null) {
        tree.push({ path, mode: '100644' as const, type: 'blob' as const, sha: null });
        continue;
      }
      const blob = await this.call(`blob for ${path}`, () =>
        this.client.rest.git.createBlob({ ...this.where, ...encodeContent(content) }),
      );
      tree.push({ path, mode: '100644' as const, type: 'blob' as const, sha: blob.data.sha });
    }
    const newTree = await this.call('tree', () =>
      this.client.rest.git.createTree({ ...this.where, base_tree: parent.data.tree.sha, tree }),
    );
    const commit = await this.call('commit', () =>
      this.client.rest.git.createCommit({
        ...this.where,
        message: input.message,
        tree: newTree.data.sha,
        parents: [parentSha],
        ...(input.author ? { author: input.author } : {}),
      }),
    );
    if (current) await this.updateRef(branchRef, commit.data.sha, { force: input.force });
    else await this.createRef(branchRef, commit.data.sha);
    return toCommit(commit.data);
  }

  async createPullRequest(input: Parameters<Forge['createPullRequest']>[0]) {
    const { data } = await this.call(`pull request ${input.head} → ${input.base}`, () =>
      this.client.rest.pulls.create({
        ...this.where,
        head: input.head,
        base: input.base,
        title: input.title,
        body: input.body,
        draft: input.draft,
      }),
    );
    return toPull(data as RestPull);
  }

  async getPullRequest(number: number) {
    const { data } = await this.call(`pull request #${number}`, () =>
      this.client.rest.pulls.get({ ...this.where, pull_number: number }),
    );
    return toPull(data as RestPull);
  }

  async listPullRequests(query: Parameters<Forge['listPullRequests']>[0] = {}) {
    const pulls = await this.call('pull requests', () =>
      this.client.paginate(this.client.rest.pulls.list, {
        ...this.where,
        state: query.state ?? 'open',
        per_page: 100,
        ...(query.head ? { head: `${this.owner}:${query.head}` } : {}),
        ...(query.base ? { base: query.base } : {}),
      }),
    );
    return pulls.map((p) => toPull(p as RestPull));
  }

  async updatePullRequest(number: number, input: Parameters<Forge['updatePullRequest']>[1]) {
    const { data } = await this.call(`pull request #${number}`, () =>
      this.client.rest.pulls.update({ ...this.where, pull_number: number, ...input }),
    );
    return toPull(data as RestPull);
  }

  async mergePullRequest(number: number, input: Parameters<Forge['mergePullRequest']>[1] = {}) {
    const { data } = await this.call(`merge of pull request #${number}`, () =>
      this.client.rest.pulls.merge({
        ...this.where,
        pull_number: number,
        merge_method: input.method ?? 'merge',
        ...(input.sha ? { sha: input.sha } : {}),
        ...(input.commitTitle ? { commit_title: input.commitTitle } : {}),
        ...(input.commitMessage ? { commit_message: input.commitMessage } : {}),
      }),
    );
    return { sha: data.sha, merged: data.merged, message: data.message };
  }

  closePullRequest(number: number) {
    return this.updatePullRequest(number, { state: 'closed' });
  }

  async listIssueComments(issueNumber: number) {
    const comments = await this.call(`comments of #${issueNumber}`, () =>
      this.client.paginate(this.client.rest.issues.listComments, {
        ...this.where,
        issue_number: issueNumber,
        per_page: 100,
      }),
    );
    return comments.map(toComment);
  }

  async createIssueComment(issueNumber: number, body: string) {
    const { data } = await this.call(`comment on #${issueNumber}`, () =>
      this.client.rest.issues.createComment({ ...this.where, issue_number: issueNumber, body }),
    );
    return toComment(data);
  }

  async updateIssueComment(commentId: number, body: string) {
    const { data } = await this.call(`comment ${commentId}`, () =>
      this.client.rest.issues.updateComment({ ...this.where, comment_id: commentId, body }),
    );
    return toComment(data);
  }

  async createCommitStatus(sha: string, input: Parameters<Forge['createCommitStatus']>[1]) {
    const { data } = await this.call(`status ${input.context} on ${sha}`, () =>
      this.client.rest.repos.createCommitStatus({
        ...this.where,
        sha,
        state: input.state,
        context: input.context,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.targetUrl !== undefined ? { target_url: input.targetUrl } : {}),
      }),
    );
    return toStatus(data);
  }

  async getCombinedStatus(ref: string): Promise<CombinedStatus> {
    const statuses: ForgeStatus[] = [];
    let state: CombinedStatus['state'] = 'pending';
    let sha = '';
    // The combined status paginates its `statuses` (100 contexts a page); `state` covers all of them.
    for (let page = 1; ; page++) {
      const { data } = await this.call(`combined status of ${ref}`, () =>
        this.client.rest.repos.getCombinedStatusForRef({ ...this.where, ref, per_page: 100, page }),
      );
      state = data.state as CombinedStatus['state'];
      sha = data.sha;
      statuses.push(...data.statuses.map((s) => toStatus(s as RestStatus)));
      if (statuses.length >= data.total_count || data.statuses.length === 0) break;
    }
    return { state, sha, statuses };
  }

  async createDeployment(input: Parameters<Forge['createDeployment']>[0]) {
    const response = await this.call(`deployment of ${input.ref} to ${input.environment}`, () =>
      this.client.rest.repos.createDeployment({
        ...this.where,
        ref: input.ref,
        environment: input.environment,
        payload: (input.payload ?? {}) as { [key: string]: unknown },
        auto_merge: input.autoMerge ?? false,
        ...(input.requiredContexts ? { required_contexts: input.requiredContexts } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.productionEnvironment !== undefined ? { production_environment: input.productionEnvironment } : {}),
      }),
    );
    if (response.status !== 201) {
      // 202: GitHub merged the default branch into the ref instead of deploying.
      throw new ForgeError(`deployment of ${input.ref}`, response.status, JSON.stringify(response.data));
    }
    return toDeployment(response.data as RestDeployment);
  }

  async createDeploymentStatus(deploymentId: number, input: Parameters<Forge['createDeploymentStatus']>[1]) {
    const { data } = await this.call(`status of deployment ${deploymentId}`, () =>
      this.client.rest.repos.createDeploymentStatus({
        ...this.where,
        deployment_id: deploymentId,
        state: input.state,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.logUrl !== undefined ? { log_url: input.logUrl } : {}),
        ...(input.environmentUrl !== undefined ? { environment_url: input.environmentUrl } : {}),
      }),
    );
    return toDeploymentStatus(data);
  }

  async listDeployments(query: Parameters<Forge['listDeployments']>[0] = {}) {
    const deployments = await this.call('deployments', () =>
      this.client.paginate(this.client.rest.repos.listDeployments, { ...this.where, ...query, per_page: 100 }),
    );
    return deployments.map((d) => toDeployment(d as RestDeployment));
  }

  async listDeploymentStatuses(deploymentId: number) {
    const statuses = await this.call(`statuses of deployment ${deploymentId}`, () =>
      this.client.paginate(this.client.rest.repos.listDeploymentStatuses, {
        ...this.where,
        deployment_id: deploymentId,
        per_page: 100,
      }),
    );
    return statuses.map(toDeploymentStatus);
  }

  async dispatchWorkflow(workflow: string | number, ref: string, inputs: Record<string, string> = {}) {
    await this.call(`dispatch of workflow ${workflow}`, () =>
      this.client.rest.actions.createWorkflowDispatch({ ...this.where, workflow_id: workflow, ref, inputs }),
    );
  }

  async listWorkflowRuns(query: ListWorkflowRunsQuery = {}) {
    const filters = {
      ...this.where,
      per_page: 100,
      ...(query.branch ? { branch: query.branch } : {}),
      ...(query.event ? { event: query.event } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.headSha ? { head_sha: query.headSha } : {}),
    };
    const runs =
      query.workflow === undefined
        ? await this.call('workflow runs', () =>
            this.client.paginate(this.client.rest.actions.listWorkflowRunsForRepo, filters),
          )
        : await this.call(`runs of workflow ${query.workflow}`, () =>
            this.client.paginate(this.client.rest.actions.listWorkflowRuns, {
              ...filters,
              workflow_id: query.workflow!,
            }),
          );
    return runs.map((r) => toRun(r as RestRun));
  }

  async getWorkflowRun(runId: number) {
    const { data } = await this.call(`workflow run ${runId}`, () =>
      this.client.rest.actions.getWorkflowRun({ ...this.where, run_id: runId }),
    );
    return toRun(data as RestRun);
  }

  async getWorkflowRunLogsUrl(runId: number) {
    const response = await this.call(`logs of workflow run ${runId}`, () =>
      this.client.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs', {
        ...this.where,
        run_id: runId,
        request: { redirect: 'manual' },
      }),
    );
    const location = (response.headers as Record<string, string | undefined>).location;
    if (!location) throw new ForgeError(`logs of workflow run ${runId}`, response.status, 'no Location in the answer');
    return location;
  }
}
