/**
 * What the demo runs on, all on loopback: a workspace with a bare repository seeded from this
 * repository's committed HEAD, the GitHub emulator serving it with branch protection requiring
 * `model-gate`, the local runner executing the repository's workflows for the emulator's events,
 * and the inference service following the emulator's git repository (MODEL_REPO_URL with a read
 * token, polling, plus the deploy workflow's reload hook).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Emulator, type EmulatorEvent, startEmulator } from '../../emulator/index.ts';
import { scheduleEvent } from '../../runner/events.ts';
import { emulatorPorts } from '../../runner/emulator-ports.ts';
import type { WorkflowEvent } from '../../runner/ports.ts';
import { createRunner, type HandledEvent, type Runner } from '../../runner/runner.ts';
import { startServerProcess, type ServerProcess } from '../../testing/server-process.ts';
import { createOctokitForge } from '../forge/octokit-forge.ts';
import type { Forge } from '../forge/forge.ts';
import { MODEL_GATE_CONTEXT } from '../gitops/promotion-pr.ts';
import { errorMessage } from '../util/errors.ts';
import { seedBareRepository } from './workspace.ts';
import { formatMs } from './timeline.ts';
import { type ModelView, modelView, waitForModel } from './service-model.ts';

export const DEMO_OWNER = 'taxiway';
export const DEMO_REPO = 'flight-delay';
export const DEMO_FULL_NAME = `${DEMO_OWNER}/${DEMO_REPO}`;
/** The repository variable and secret the deploy workflow reads for the service's reload hook. */
export const SERVICE_URL_VARIABLE = 'SERVICE_URL';
export const SERVICE_TOKEN_SECRET = 'SERVICE_RELOAD_TOKEN';

export interface DemoStackOptions {
  /** The repository whose committed HEAD seeds the workspace and whose code runs the service. */
  repoRoot: string;
  /** Where everything is kept (created; must not hold a repository yet). Default: a new temporary folder. */
  workspace?: string;
  log: (line: string) => void;
  /** Print every job log line (default: one line per step, and a heartbeat during long steps). */
  verbose?: boolean;
  /** `secrets.*` and `vars.*` for the workflows. */
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  /** How often the service fetches the repository (ms). */
  pollIntervalMs?: number;
  /** Seed the runner's actions/cache store before the first run (node_modules, the data cache). */
  seedCache?: (cacheDir: string) => Promise<void>;
  /** Heartbeat period during a long step (ms). */
  heartbeatMs?: number;
}

/** A push to the default branch, as the emulator recorded it, with the local time it was seen. */
export interface ObservedPush {
  eventId: number;
  sha: string;
  before: string;
  seenAt: number;
  actor: string;
}

export interface ServingModel {
  version: string;
  sha256: string;
  revision: string;
  loadedAt: string;
}

export interface DemoStack {
  workspace: string;
  bareRepo: string;
  emulator: Emulator;
  /** A person's forge (the emulator's administrator), as someone merging in the web UI. */
  forge: Forge;
  runner: Runner;
  service: ServerProcess;
  /** Pushes to the default branch so far, oldest first. */
  pushes: ObservedPush[];
  /** Runs the workflows a schedule tick starts (GitHub's scheduler; the emulator has no clock). */
  scheduleTick(cron?: string): Promise<HandledEvent>;
  /** Waits until the runner has nothing in flight (every run an event started has finished). */
  idle(): Promise<void>;
  /** Polls GET /v1/model until the service serves `version`. */
  waitForServing(version: string, timeoutMs?: number): Promise<ServingModel>;
  serving(): Promise<ServingModel | null>;
  /** The command that serves the workspace's emulator again after the demo. */
  restartCommand: string;
  close(): Promise<void>;
}

/** The model the service serves, from its GET /v1/model answer. */
function servingModel(view: ModelView): ServingModel | null {
  if (!view.serving) return null;
  const { version, sha256, revision, loadedAt } = view.serving;
  return { version, sha256, revision, loadedAt };
}

interface ActiveStep {
  workflow: string;
  job: string;
  step: string;
  since: number;
}

/** One progress line per started step, and a heartbeat while one runs long. */
function progressSink(options: DemoStackOptions) {
  const active = new Map<string, ActiveStep>();
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const a of active.values()) {
      if (now - a.since >= (options.heartbeatMs ?? 15_000))
        options.log(`    … ${a.workflow} / ${a.job}: ${a.step} (${formatMs(now - a.since)})`);
    }
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const live = (line: string, source: { workflow: string; job: string; runId: number }) => {
    const text = line.replace(/^\d{4}-\d\d-\d\dT\S+Z /, '');
    const key = `${source.runId}/${source.job}`;
    if (options.verbose) options.log(`    ${source.workflow} / ${source.job} | ${text}`);
    if (text.startsWith('##[group]')) {
      const step = text.slice('##[group]'.length);
      active.set(key, { workflow: source.workflow, job: source.job, step, since: Date.now() });
      if (!options.verbose) options.log(`    · ${source.workflow} / ${source.job}: ${step}`);
    } else if (text.startsWith('##[error]') && !options.verbose) {
      options.log(`    ✗ ${source.workflow} / ${source.job}: ${text.slice('##[error]'.length)}`);
    }
  };
  return {
    live,
    stop: () => clearInterval(heartbeat),
    done: (runId: number) => {
      for (const key of active.keys()) if (key.startsWith(`${runId}/`)) active.delete(key);
    },
  };
}

export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  const workspace = path.resolve(options.workspace ?? (await mkdtemp(path.join(os.tmpdir(), 'taxiway-demo-'))));
  await mkdir(workspace, { recursive: true });
  const bareRepo = path.join(workspace, `${DEMO_REPO}.git`);
  const head = await seedBareRepository(options.repoRoot, bareRepo);
  options.log(`workspace ${workspace}: ${DEMO_FULL_NAME} seeded from commit ${head.slice(0, 12)} (committed HEAD)`);

  const emulator = await startEmulator({
    repositories: [
      {
        owner: DEMO_OWNER,
        name: DEMO_REPO,
        path: bareRepo,
        protection: { requiredChecks: [MODEL_GATE_CONTEXT] },
      },
    ],
  });
  const cleanups: (() => Promise<void>)[] = [() => emulator.close()];
  const fail = async (error: unknown): Promise<never> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    throw error;
  };
  try {
    options.log(`GitHub emulator on ${emulator.url} (main protected: ${MODEL_GATE_CONTEXT} required)`);
    const pushes: ObservedPush[] = [];
    const info = emulator.repository(DEMO_FULL_NAME);
    const unsubscribe = emulator.events.subscribe((event: EmulatorEvent) => {
      if (event.name !== 'push' || event.payload.ref !== `refs/heads/${info.defaultBranch}`) return;
      pushes.push({
        eventId: event.id,
        sha: event.payload.after as string,
        before: event.payload.before as string,
        seenAt: Date.now(),
        actor: event.actor.login,
      });
    });
    cleanups.push(async () => unsubscribe());

    const forge = createOctokitForge({
      token: emulator.adminToken,
      owner: DEMO_OWNER,
      repo: DEMO_REPO,
      baseUrl: emulator.apiUrl,
      writeIntervalMs: 0,
      retries: 0,
    });

    // The service: its own process, following the emulator's git repository with a read token.
    const readToken = emulator.mintToken({
      permissions: { contents: 'read', metadata: 'read' },
      repositories: [DEMO_FULL_NAME],
      login: 'taxiway-service[bot]',
      expiresInMs: 30 * 24 * 3_600_000,
    }).token;
    const repoUrl = new URL(info.cloneUrl);
    repoUrl.username = 'x-access-token';
    repoUrl.password = readToken;
    const adminToken = randomBytes(24).toString('hex');
    const serviceDir = path.join(workspace, 'service');
    await mkdir(serviceDir, { recursive: true });
    const service = await startServerProcess({
      codeRoot: options.repoRoot,
      env: {
        MODEL_REPO_URL: repoUrl.toString(),
        MODEL_REPO_BRANCH: info.defaultBranch,
        MODEL_CACHE_DIR: path.join(serviceDir, 'model-repo'),
        MODEL_POLL_INTERVAL_MS: String(options.pollIntervalMs ?? 1000),
        ADMIN_TOKEN: adminToken,
        LOG_REQUESTS: 'false',
        PREDICTION_STORE_PATH: path.join(serviceDir, 'predictions.db'),
      },
      startTimeoutMs: 60_000,
    });
    cleanups.push(async () => {
      await service.stop();
      await writeFile(
        path.join(serviceDir, 'service.log'),
        service.logs.map((line) => JSON.stringify(line)).join('\n') + '\n',
      );
    });
    await service.ready(120_000);

    const serving = async (): Promise<ServingModel | null> => servingModel(await modelView(service.url));
    const first = await serving();
    options.log(
      `service on ${service.url} follows ${info.cloneUrl} (poll every ${formatMs(options.pollIntervalMs ?? 1000)}); serving ${first?.version}`,
    );

    // The runner: the repository's workflows, on the emulator's events.
    const runnerDir = path.join(workspace, 'runner');
    const ports = await emulatorPorts(emulator, DEMO_FULL_NAME, { cacheDir: path.join(runnerDir, 'mirror') });
    const cacheDir = path.join(runnerDir, 'cache');
    await mkdir(cacheDir, { recursive: true });
    await options.seedCache?.(cacheDir);
    const progress = progressSink(options);
    cleanups.push(async () => progress.stop());
    const runner = await createRunner({
      ...ports,
      // The deploy workflow calls the service's reload hook with these (and the service polls anyway).
      secrets: { [SERVICE_TOKEN_SECRET]: adminToken, ...options.secrets },
      // SERVICE_REPLICA_URLS: the replicas whose /metrics release-step.yml sums (one here).
      vars: { [SERVICE_URL_VARIABLE]: service.url, SERVICE_REPLICA_URLS: service.url, ...options.vars },
      workRoot: path.join(runnerDir, 'work'),
      cacheDir,
      live: progress.live,
    });
    const errors: unknown[] = [];
    const stopListening = runner.listen(ports.events, {
      onHandled: (_event: WorkflowEvent, handled: HandledEvent) => {
        for (const run of handled.runs) progress.done(run.id);
      },
      onError: (event, error) => {
        errors.push(new Error(`the runner failed on a ${event.name} event: ${errorMessage(error)}`));
      },
    });
    cleanups.push(async () => {
      stopListening();
      await runner.idle();
    });

    const port = new URL(emulator.url).port;
    const restartCommand = `npm run emulator -- --repo ${bareRepo} --name ${DEMO_FULL_NAME} --port ${port} --token ${emulator.adminToken}`;

    return {
      workspace,
      bareRepo,
      emulator,
      forge,
      runner,
      service,
      pushes,
      restartCommand,
      async scheduleTick(cron) {
        const handled = await runner.handle(
          scheduleEvent({ repository: ports.repository, serverUrl: emulator.url }, { cron }),
        );
        for (const run of handled.runs) progress.done(run.id);
        return handled;
      },
      async idle() {
        await runner.idle();
        if (errors.length > 0) throw errors.shift();
      },
      async waitForServing(version, timeoutMs = 60_000) {
        const view = await waitForModel(service.url, `serve ${version}`, (v) => v.serving?.version === version, {
          timeoutMs,
        });
        return servingModel(view)!;
      },
      serving,
      async close() {
        for (const cleanup of cleanups.reverse()) await cleanup();
      },
    };
  } catch (error) {
    return fail(error);
  }
}
