/**
 * The GitHub emulator as a library: `startEmulator()` serves GitHub's REST endpoints the lifecycle
 * uses and git over smart HTTP on loopback, over real bare repositories, and gives tests and the
 * local runner an in-process API: events to subscribe to, workflow runs to record, tokens to mint,
 * branch protection to set. See emulator/README.md.
 */
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { EmulatorCore, type Violation } from './core.ts';
import type { EmulatorEvent, EventFilter, EventListener } from './events.ts';
import { protectionFromBody } from './routes/branch-protection.ts';
import type { JobRecord, ProtectionRecord, WorkflowRunRecord } from './store/records.ts';
import { Repository, type RepositoryOptions } from './store/repository.ts';
import type { MintTokenOptions, MintedToken } from './tokens.ts';
import {
  type CreateRunInput,
  type JobUpdate,
  type RunUpdate,
  createJob,
  createRun,
  findJob,
  findRun,
  updateJob,
  updateRun,
} from './workflow-runs.ts';

export type { EmulatorEvent, EventFilter, EventListener, Violation, MintTokenOptions, MintedToken };
export type { JobRecord, WorkflowRunRecord, CreateRunInput, RunUpdate, JobUpdate };

export interface ProtectionInput {
  /** Default: the repository's default branch. */
  branch?: string;
  /** Status contexts that must be `success` on a pull request's head (and on a pushed commit). */
  requiredChecks?: string[];
  /** Require branches to be up to date before merging. */
  strict?: boolean;
  /** Apply the rules to administrators too (GitHub's "Do not allow bypassing"); default true. */
  enforceAdmins?: boolean;
  /** Changes only through pull requests (direct pushes refused). */
  requirePullRequest?: boolean;
  allowForcePushes?: boolean;
  allowDeletions?: boolean;
}

export interface EmulatedRepositoryOptions extends RepositoryOptions {
  protection?: ProtectionInput;
}

export interface EmulatorOptions {
  host?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
  repositories: EmulatedRepositoryOptions[];
  /** The administrator's personal access token; default a random `ghp_…`. */
  token?: string;
  /** The administrator's login; default `taxiway-admin`. */
  login?: string;
  /** A response that violates GitHub's description becomes a 500 (default true); it is recorded either way. */
  strict?: boolean;
}

export interface RepositoryInfo {
  owner: string;
  name: string;
  fullName: string;
  /** The bare repository on disk. */
  path: string;
  defaultBranch: string;
  cloneUrl: string;
}

/** Recording workflow runs (the local runner's side of GitHub Actions); `repository` is `owner/name`. */
export interface RunsApi {
  /** A queued run (workflow_dispatch runs are created by the dispatch itself: see the event's `workflowRunId`). */
  create(repository: string, input: CreateRunInput & { workflowText?: string }): Promise<RunView>;
  update(repository: string, runId: number, update: RunUpdate): Promise<RunView>;
  get(repository: string, runId: number): RunView;
  list(repository: string): RunView[];
  createJob(repository: string, runId: number, input: { name: string; labels?: string[] }): Promise<JobRecord>;
  updateJob(repository: string, jobId: number, update: JobUpdate): Promise<JobRecord>;
  appendLog(repository: string, jobId: number, text: string): Promise<void>;
  readLog(repository: string, jobId: number): Promise<string>;
  /** Markdown a step wrote to GITHUB_STEP_SUMMARY (appended, like the runner does per step). */
  appendSummary(repository: string, jobId: number, markdown: string): Promise<void>;
  jobs(repository: string, runId: number): JobRecord[];
}

export interface RunView extends WorkflowRunRecord {
  /** REST URL of the run. */
  url: string;
  htmlUrl: string;
}

export interface Emulator {
  /** Origin of the web, git and REST endpoints (GITHUB_SERVER_URL and GITHUB_API_URL). */
  readonly url: string;
  readonly apiUrl: string;
  readonly adminToken: string;
  readonly events: {
    subscribe(listener: EventListener): () => void;
    list(filter?: EventFilter): EmulatorEvent[];
    waitFor(
      filter: EventFilter & { where?: (event: EmulatorEvent) => boolean },
      timeoutMs?: number,
    ): Promise<EmulatorEvent>;
  };
  readonly runs: RunsApi;
  /** Responses and webhook payloads that did not match GitHub's description (should stay empty). */
  readonly violations: readonly Violation[];
  repository(fullName: string): RepositoryInfo;
  /** An installation-like token (`ghs_…`) with the given permissions, one hour by default. */
  mintToken(options?: MintTokenOptions): MintedToken;
  protectBranch(fullName: string, protection: ProtectionInput): Promise<void>;
  close(): Promise<void>;
}

function protectionRecord(defaultBranch: string, input: ProtectionInput): ProtectionRecord {
  return protectionFromBody(input.branch ?? defaultBranch, {
    required_status_checks: input.requiredChecks
      ? { strict: input.strict ?? false, contexts: input.requiredChecks }
      : null,
    enforce_admins: input.enforceAdmins ?? true,
    required_pull_request_reviews: input.requirePullRequest ? { required_approving_review_count: 0 } : null,
    allow_force_pushes: input.allowForcePushes ?? false,
    allow_deletions: input.allowDeletions ?? false,
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const core = new EmulatorCore({ strict: options.strict ?? true });
  const adminToken =
    options.token ?? `ghp_${Buffer.from(crypto.getRandomValues(new Uint8Array(27))).toString('base64url')}`;
  core.tokens.addUserToken(adminToken, options.login ?? 'taxiway-admin', true);
  for (const [index, input] of options.repositories.entries()) {
    const repo = await Repository.open(input, index + 1);
    if (input.protection) {
      const record = protectionRecord(repo.state.defaultBranch, input.protection);
      repo.state.protections = [...repo.state.protections.filter((p) => p.branch !== record.branch), record];
      await repo.save();
    }
    core.addRepository(repo);
  }

  let origin = '';
  const { app } = createApp(core, () => `${origin}/_emulator/hooks`);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () =>
      resolve(s),
    );
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;
  core.site = { api: origin, web: origin };

  const repoOf = (fullName: string): Repository => {
    const [owner, name] = fullName.split('/') as [string, string];
    const repo = core.repository(owner, name);
    if (!repo) throw new Error(`no emulated repository ${fullName}`);
    return repo;
  };
  const view = (repo: Repository, run: WorkflowRunRecord): RunView => ({
    ...structuredClone(run),
    url: `${origin}/repos/${repo.fullName}/actions/runs/${run.id}`,
    htmlUrl: `${origin}/${repo.fullName}/actions/runs/${run.id}`,
  });

  const runs: RunsApi = {
    async create(repository, input) {
      const repo = repoOf(repository);
      return repo.withLock(async () => view(repo, createRun(repo, input, input.workflowText)));
    },
    async update(repository, runId, update) {
      const repo = repoOf(repository);
      return repo.withLock(async () => view(repo, updateRun(repo, runId, update)));
    },
    get: (repository, runId) => {
      const repo = repoOf(repository);
      return view(repo, findRun(repo, runId));
    },
    list: (repository) => {
      const repo = repoOf(repository);
      return repo.state.runs.map((run) => view(repo, run)).sort((a, b) => b.id - a.id);
    },
    async createJob(repository, runId, input) {
      const repo = repoOf(repository);
      return repo.withLock(async () => structuredClone(createJob(repo, runId, input)));
    },
    async updateJob(repository, jobId, update) {
      const repo = repoOf(repository);
      return repo.withLock(async () => structuredClone(updateJob(repo, jobId, update)));
    },
    async appendLog(repository, jobId, text) {
      const repo = repoOf(repository);
      findJob(repo, jobId);
      await repo.appendLog(jobId, text);
    },
    readLog: (repository, jobId) => repoOf(repository).readLog(jobId),
    async appendSummary(repository, jobId, markdown) {
      const repo = repoOf(repository);
      await repo.withLock(async () => {
        findJob(repo, jobId).summary += markdown;
      });
    },
    jobs: (repository, runId) => structuredClone(repoOf(repository).state.jobs.filter((j) => j.runId === runId)),
  };

  return {
    url: origin,
    apiUrl: origin,
    adminToken,
    events: {
      subscribe: (listener) => core.events.subscribe(listener),
      list: (filter) => core.events.list(filter),
      waitFor: (filter, timeoutMs) => core.events.waitFor(filter, timeoutMs),
    },
    runs,
    violations: core.violations,
    repository(fullName) {
      const repo = repoOf(fullName);
      return {
        owner: repo.owner,
        name: repo.name,
        fullName: repo.fullName,
        path: repo.dir,
        defaultBranch: repo.state.defaultBranch,
        cloneUrl: `${origin}/${repo.fullName}.git`,
      };
    },
    mintToken: (mintOptions) => core.tokens.mint(mintOptions),
    async protectBranch(fullName, protection) {
      const repo = repoOf(fullName);
      await repo.withLock(async () => {
        const record = protectionRecord(repo.state.defaultBranch, protection);
        repo.state.protections = [...repo.state.protections.filter((p) => p.branch !== record.branch), record];
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
