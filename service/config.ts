/**
 * Service configuration from environment variables. Every variable is optional; a bad value fails
 * startup with a message naming the variable, never a silent default.
 */
import path from 'node:path';
import { isLogLevel, type LogLevel } from './logger.ts';
import { DEFAULT_MANIFEST_PATH } from './model-manager.ts';

export interface ServiceConfig {
  host: string;
  port: number;
  /** Where the manifest and artifacts come from. */
  source:
    | { kind: 'git'; root: string; ref: string }
    | { kind: 'directory'; root: string }
    | { kind: 'remote'; url: string; branch: string; cacheDir: string }
    | { kind: 'auto'; root: string };
  manifestPath: string;
  /** 0 = no polling (reload only at startup and through POST /admin/reload). */
  pollIntervalMs: number;
  /** Bearer token for POST /admin/reload; the endpoint is disabled without one. */
  adminToken: string | null;
  /** Rows accepted in one batch request. */
  maxBatchSize: number;
  maxBodyBytes: number;
  /** Predictions handled at once; more get 429. */
  maxInflight: number;
  inferenceTimeoutMs: number;
  batching: { maxBatchRows: number; maxWaitMs: number; concurrency: number };
  /**
   * How long a shadow-scoring batch waits to fill (ms). Nobody waits for shadow scores, so its
   * batches may wait: one ONNX Runtime call per row made shadow mode cost +13% to +25% server CPU
   * per request in bench:serve (e), most of it per-call overhead that a batch of tens of rows shares.
   */
  shadowMaxWaitMs: number;
  /**
   * Share of requests (percent, by the same sticky flight hash as canary routing) the challenger
   * scores in shadow mode. Shadow scoring costs the challenger's model on top of the champion's: a
   * 250-tree challenger behind a 32-tree champion added 13–24% server CPU per request at half the
   * peak in three bench:serve (e) runs, 11% with 25% sampled (one run); sampling trades that cost
   * for evidence that gathers more slowly (`shadow_unsampled_total` counts what it leaves out).
   */
  shadowSamplePercent: number;
  intraOpThreads: number;
  /**
   * Where ONNX Runtime runs: `split` (batches big enough to take `workerMinMs` of scoring on a
   * worker thread, smaller ones on the main thread), `worker` (all on the worker) or `main`.
   */
  inferenceThread: 'split' | 'worker' | 'main';
  /** Scoring time (ms, measured per model at load) from which a batch goes to the worker (see `DEFAULTS`). */
  workerMinMs: number;
  /** Fixed batch size from which a batch goes to the worker, instead of the measured one. */
  workerMinRows: number | null;
  /** Predictions kept for joining feedback (rows, hours), and the per-process online-quality window. */
  feedback: { capacity: number; maxAgeHours: number; window: number };
  /** SQLite file of the prediction store (':memory:' keeps nothing across restarts). */
  predictionStorePath: string;
  /** Drift counting and prediction logging on the predict path. */
  monitoring: boolean;
  /** GET /dashboard: how often this process samples its metrics, and the window it keeps. */
  dashboard: { sampleSeconds: number; windowMinutes: number };
  drainTimeoutMs: number;
  /** Delay between readiness going off and the listener closing (lets a load balancer notice). */
  drainDelayMs: number;
  logLevel: LogLevel | 'silent';
  logRequests: boolean;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  pollIntervalMs: 10_000,
  maxBatchSize: 256,
  maxBodyBytes: 256 * 1024,
  maxInflight: 1024,
  inferenceTimeoutMs: 2_000,
  maxBatchRows: 512,
  maxWaitMs: 0,
  shadowMaxWaitMs: 10,
  shadowSamplePercent: 100,
  intraOpThreads: 1,
  inferenceThread: 'split' as const,
  // 1 ms, not 0.25 ms (the default until the 250-tree champion): 0.25 ms is 37 of its rows, so the
  // batches single-row traffic forms under load crossed to the worker, and on 2 shared cores the hop
  // cost more than it saved. `npm run bench:serve`'s settings (2026-12-02): single-row peak 15,599
  // req/s at 1 ms against 10,799 at 0.25 ms; 256-row requests 132,532 against 128,552 rows/s.
  workerMinMs: 1,
  feedbackCapacity: 1_000_000,
  feedbackMaxAgeHours: 48,
  predictionStorePath: '.cache/service/predictions.sqlite',
  feedbackWindow: 5_000,
  drainTimeoutMs: 10_000,
  drainDelayMs: 0,
} as const;

type Env = Record<string, string | undefined>;

class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false (1/0), got ${JSON.stringify(raw)}`);
}

function inferenceThread(raw: string | undefined): ServiceConfig['inferenceThread'] {
  if (raw === undefined || raw === '') return DEFAULTS.inferenceThread;
  if (raw === 'split' || raw === 'worker' || raw === 'main') return raw;
  throw new ConfigError(`INFERENCE_THREAD must be split, worker or main, got ${JSON.stringify(raw)}`);
}

export function loadConfig(env: Env, cwd: string): ServiceConfig {
  const root = path.resolve(cwd, env.MODEL_REPO_ROOT || '.');
  const mode = env.MODEL_SOURCE || 'auto';
  let source: ServiceConfig['source'];
  if (env.MODEL_REPO_URL) {
    if (env.MODEL_SOURCE && env.MODEL_SOURCE !== 'remote')
      throw new ConfigError(`MODEL_SOURCE=${env.MODEL_SOURCE} conflicts with MODEL_REPO_URL (a remote source)`);
    const branch = env.MODEL_REPO_BRANCH || 'main';
    if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes('..'))
      throw new ConfigError(`MODEL_REPO_BRANCH is not a branch name: ${JSON.stringify(branch)}`);
    source = {
      kind: 'remote',
      url: env.MODEL_REPO_URL,
      branch,
      cacheDir: path.resolve(cwd, env.MODEL_CACHE_DIR || '.cache/model-repo'),
    };
  } else if (mode === 'git') source = { kind: 'git', root, ref: env.MODEL_REF || 'HEAD' };
  else if (mode === 'directory') source = { kind: 'directory', root };
  else if (mode === 'auto') source = env.MODEL_REF ? { kind: 'git', root, ref: env.MODEL_REF } : { kind: 'auto', root };
  else throw new ConfigError(`MODEL_SOURCE must be auto, git, directory or remote, got ${JSON.stringify(mode)}`);

  const manifestPath = env.MANIFEST_PATH || DEFAULT_MANIFEST_PATH;
  if (manifestPath.startsWith('/') || manifestPath.split('/').includes('..'))
    throw new ConfigError(`MANIFEST_PATH must be repository-relative, got ${JSON.stringify(manifestPath)}`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!isLogLevel(logLevel))
    throw new ConfigError(`LOG_LEVEL must be debug, info, warn, error or silent, got ${JSON.stringify(logLevel)}`);
  const adminToken = env.ADMIN_TOKEN || null;
  if (adminToken !== null && adminToken.length < 16)
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
  const maxBatchSize = integer(env, 'MAX_BATCH_SIZE', DEFAULTS.maxBatchSize, 1, 10_000);
  const thread = inferenceThread(env.INFERENCE_THREAD);
  const maxBatchRows = integer(env, 'BATCH_MAX_ROWS', Math.max(DEFAULTS.maxBatchRows, maxBatchSize), 1, 100_000);

  return {
    host: env.HOST || DEFAULTS.host,
    port: integer(env, 'PORT', DEFAULTS.port, 0, 65_535),
    source,
    manifestPath,
    pollIntervalMs: integer(env, 'MODEL_POLL_INTERVAL_MS', DEFAULTS.pollIntervalMs, 0, 86_400_000),
    adminToken,
    maxBatchSize,
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, 1024, 64 * 1024 * 1024),
    maxInflight: integer(env, 'MAX_INFLIGHT', DEFAULTS.maxInflight, 1, 1_000_000),
    inferenceTimeoutMs: integer(env, 'INFERENCE_TIMEOUT_MS', DEFAULTS.inferenceTimeoutMs, 1, 600_000),
    batching: {
      maxBatchRows,
      maxWaitMs: integer(env, 'BATCH_MAX_WAIT_MS', DEFAULTS.maxWaitMs, 0, 1_000),
      concurrency: integer(env, 'BATCH_CONCURRENCY', thread === 'main' ? 1 : 2, 1, 64),
    },
    shadowMaxWaitMs: integer(env, 'SHADOW_BATCH_WAIT_MS', DEFAULTS.shadowMaxWaitMs, 0, 1_000),
    shadowSamplePercent: integer(env, 'SHADOW_SAMPLE_PERCENT', DEFAULTS.shadowSamplePercent, 1, 100),
    intraOpThreads: integer(env, 'ORT_INTRA_OP_THREADS', DEFAULTS.intraOpThreads, 0, 256),
    inferenceThread: thread,
    workerMinMs: integer(env, 'INFERENCE_WORKER_MIN_US', DEFAULTS.workerMinMs * 1000, 0, 1_000_000) / 1000,
    workerMinRows: env.INFERENCE_WORKER_MIN_ROWS ? integer(env, 'INFERENCE_WORKER_MIN_ROWS', 0, 1, 100_000) : null,
    feedback: {
      capacity: integer(env, 'FEEDBACK_CAPACITY', DEFAULTS.feedbackCapacity, 1, 100_000_000),
      maxAgeHours: integer(env, 'FEEDBACK_MAX_AGE_HOURS', DEFAULTS.feedbackMaxAgeHours, 1, 24 * 366),
      window: integer(env, 'FEEDBACK_WINDOW', DEFAULTS.feedbackWindow, 1, 1_000_000),
    },
    predictionStorePath:
      env.PREDICTION_STORE_PATH === ':memory:'
        ? ':memory:'
        : path.resolve(cwd, env.PREDICTION_STORE_PATH || DEFAULTS.predictionStorePath),
    monitoring: flag(env, 'MONITORING', true),
    dashboard: {
      sampleSeconds: integer(env, 'DASHBOARD_SAMPLE_SECONDS', 10, 1, 3600),
      windowMinutes: integer(env, 'DASHBOARD_WINDOW_MINUTES', 60, 1, 24 * 60),
    },
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', DEFAULTS.drainTimeoutMs, 0, 600_000),
    drainDelayMs: integer(env, 'DRAIN_DELAY_MS', DEFAULTS.drainDelayMs, 0, 600_000),
    logLevel,
    logRequests: flag(env, 'LOG_REQUESTS', true),
  };
}
