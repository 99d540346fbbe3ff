/**
 * The runner's ports over the GitHub emulator's in-process API (emulator/README.md, "Library API"):
 * the repository through its git-over-HTTP URL, runs/jobs/logs/summaries recorded as its workflow
 * runs (served by its REST endpoints like GitHub's), tokens it mints and enforces, and its recorded
 * events as the event source.
 */
import type { Emulator, EmulatorEvent, MintTokenOptions } from '../emulator/index.ts';
import type { ServerUrls } from './contexts.ts';
import { gitRepository } from './git-repository.ts';
import type {
  EventSource,
  JobRecord,
  Permissions,
  RepositorySource,
  RunRecorder,
  TokenIssuer,
  WorkflowEvent,
} from './ports.ts';

type EmulatorPermissions = NonNullable<MintTokenOptions['permissions']>;

/** The emulator's permission names (GitHub's fine-grained names) for the workflow scopes it serves. */
const EMULATED_SCOPES: Record<string, keyof EmulatorPermissions> = {
  actions: 'actions',
  contents: 'contents',
  deployments: 'deployments',
  issues: 'issues',
  metadata: 'metadata',
  'pull-requests': 'pull_requests',
  statuses: 'statuses',
};

/**
 * Workflow permissions as the emulator's. Scopes it does not emulate (checks, packages, id-token,
 * …) have no endpoint there, so they are left out; `none` is no entry.
 */
export function emulatorPermissions(permissions: Permissions): EmulatorPermissions {
  const result: EmulatorPermissions = {};
  for (const [scope, access] of Object.entries(permissions)) {
    const name = EMULATED_SCOPES[scope];
    if (name && access !== 'none') result[name] = access;
  }
  return result;
}

export function emulatorTokenIssuer(emulator: Emulator, fullName: string): TokenIssuer {
  return {
    async jobToken({ permissions }) {
      const minted = emulator.mintToken({
        kind: 'github-actions',
        permissions: emulatorPermissions(permissions),
        repositories: [fullName],
      });
      return { token: minted.token, permissions, expiresAt: minted.expiresAt };
    },
    async appToken(request) {
      const minted = emulator.mintToken({
        kind: 'installation',
        repositories: request.repositories?.map((name) =>
          name.includes('/') ? name : `${fullName.split('/')[0]}/${name}`,
        ) ?? [fullName],
        ...(request.permissions ? { permissions: emulatorPermissions(request.permissions) } : {}),
      });
      return {
        token: minted.token,
        permissions: request.permissions ?? (minted.permissions as Permissions),
        expiresAt: minted.expiresAt,
        installationId: 1,
        appSlug: minted.login.replace(/\[bot\]$/, ''),
      };
    },
    // The emulator's tokens expire (an hour); it offers no revocation call yet.
    async revoke() {},
  };
}

function sender(payload: Record<string, unknown>): { login: string; id: number; type: 'User' | 'Bot' } | undefined {
  const value = payload.sender as { login?: unknown; id?: unknown; type?: unknown } | undefined;
  if (typeof value?.login !== 'string' || typeof value.id !== 'number') return undefined;
  return { login: value.login, id: value.id, type: value.type === 'Bot' ? 'Bot' : 'User' };
}

export function emulatorRunRecorder(emulator: Emulator, fullName: string): RunRecorder {
  const summaryWritten = new Map<number, number>();
  const jobUpdate = (job: JobRecord) => ({
    status: job.status,
    conclusion: job.conclusion,
    steps: job.steps.map((step) => ({
      name: step.name,
      number: step.number,
      status: step.status,
      conclusion: step.conclusion,
      startedAt: step.startedAt,
      completedAt: step.completedAt,
    })),
  });
  const writeSummary = async (jobId: number, summary: string) => {
    const written = summaryWritten.get(jobId) ?? 0;
    if (summary.length <= written) return;
    await emulator.runs.appendSummary(fullName, jobId, summary.slice(written));
    summaryWritten.set(jobId, summary.length);
  };
  return {
    async createRun(run) {
      const pull = (run.payload.pull_request as { number?: number } | undefined)?.number;
      const view =
        run.queuedRunId !== undefined
          ? await emulator.runs.update(fullName, run.queuedRunId, { displayTitle: run.displayTitle })
          : await emulator.runs.create(fullName, {
              workflowPath: run.path,
              workflowText: run.workflowText,
              event: run.event,
              headSha: run.headSha,
              headBranch: run.headBranch,
              name: run.name,
              displayTitle: run.displayTitle,
              actor: sender(run.payload),
              pullRequestNumbers: pull === undefined ? [] : [pull],
            });
      return { id: view.id, runNumber: view.runNumber, attempt: view.runAttempt, htmlUrl: view.htmlUrl };
    },
    async updateRun(runId, update) {
      await emulator.runs.update(fullName, runId, { status: update.status, conclusion: update.conclusion });
    },
    async createJob(runId, job) {
      const created = await emulator.runs.createJob(fullName, runId, { name: job.name, labels: job.labels });
      await emulator.runs.updateJob(fullName, created.id, jobUpdate(job));
      await writeSummary(created.id, job.summary);
      return { id: created.id };
    },
    async appendJobLog(jobId, lines) {
      await emulator.runs.appendLog(fullName, jobId, `${lines.join('\n')}\n`);
    },
    async updateJob(jobId, job) {
      await emulator.runs.updateJob(fullName, jobId, jobUpdate(job));
      await writeSummary(jobId, job.summary);
    },
  };
}

export function emulatorEventSource(emulator: Emulator, fullName: string): EventSource {
  return {
    subscribe(listener) {
      return emulator.events.subscribe((event: EmulatorEvent) => {
        if (event.repository !== fullName) return;
        const workflowEvent: WorkflowEvent = { name: event.name, payload: event.payload, causedBy: event.actor.kind };
        if (event.workflowRunId !== undefined) workflowEvent.queuedRunId = event.workflowRunId;
        listener(workflowEvent);
      });
    },
  };
}

export interface EmulatorPorts {
  repository: RepositorySource;
  recorder: RunRecorder;
  tokens: TokenIssuer;
  events: EventSource;
  urls: ServerUrls;
}

/**
 * Everything `createRunner` needs from an emulated repository. The runner reads the repository
 * with a minted `contents: read` token, as any client of the emulator would.
 */
export async function emulatorPorts(
  emulator: Emulator,
  fullName: string,
  options: { cacheDir: string },
): Promise<EmulatorPorts> {
  const info = emulator.repository(fullName);
  const reader = emulator.mintToken({
    kind: 'installation',
    permissions: { contents: 'read', metadata: 'read' },
    repositories: [fullName],
    expiresInMs: 7 * 24 * 3_600_000,
  });
  const repository = await gitRepository({
    url: info.cloneUrl,
    fullName,
    cacheDir: options.cacheDir,
    token: reader.token,
    defaultBranch: info.defaultBranch,
  });
  return {
    repository,
    recorder: emulatorRunRecorder(emulator, fullName),
    tokens: emulatorTokenIssuer(emulator, fullName),
    events: emulatorEventSource(emulator, fullName),
    urls: { serverUrl: emulator.url, apiUrl: emulator.apiUrl, graphqlUrl: `${emulator.apiUrl}/graphql` },
  };
}
