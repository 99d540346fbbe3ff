import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('defaults to this checkout on 127.0.0.1:8080 with no variables set', () => {
    const config = loadConfig({}, '/srv/taxiway');
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      source: { kind: 'auto', root: '/srv/taxiway' },
      manifestPath: 'manifests/production.json',
      pollIntervalMs: DEFAULTS.pollIntervalMs,
      adminToken: null,
      maxBatchSize: 256,
      batching: { maxBatchRows: 512, maxWaitMs: 0, concurrency: 2 },
      inferenceThread: 'split',
      workerMinMs: 1,
      workerMinRows: null,
      logRequests: true,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        MODEL_REPO_URL: 'https://x-access-token:secret@github.com/acme/taxiway.git',
        MODEL_REPO_BRANCH: 'release',
        MODEL_CACHE_DIR: '/var/cache/taxiway',
        MODEL_POLL_INTERVAL_MS: '0',
        ADMIN_TOKEN: 'abcdefghijklmnopqrstuvwxyz',
        MAX_BATCH_SIZE: '1000',
        MAX_BODY_BYTES: '2048',
        MAX_INFLIGHT: '8',
        INFERENCE_TIMEOUT_MS: '50',
        BATCH_MAX_ROWS: '64',
        BATCH_MAX_WAIT_MS: '2',
        SHADOW_BATCH_WAIT_MS: '25',
        SHADOW_SAMPLE_PERCENT: '25',
        ORT_INTRA_OP_THREADS: '2',
        FEEDBACK_CAPACITY: '10',
        FEEDBACK_WINDOW: '5',
        DRAIN_TIMEOUT_MS: '100',
        DRAIN_DELAY_MS: '10',
        LOG_LEVEL: 'warn',
        LOG_REQUESTS: 'false',
        INFERENCE_THREAD: 'main',
        INFERENCE_WORKER_MIN_ROWS: '16',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      source: {
        kind: 'remote',
        url: 'https://x-access-token:secret@github.com/acme/taxiway.git',
        branch: 'release',
        cacheDir: '/var/cache/taxiway',
      },
      pollIntervalMs: 0,
      shadowMaxWaitMs: 25,
      shadowSamplePercent: 25,
      adminToken: 'abcdefghijklmnopqrstuvwxyz',
      maxBatchSize: 1000,
      maxBodyBytes: 2048,
      maxInflight: 8,
      inferenceTimeoutMs: 50,
      batching: { maxBatchRows: 64, maxWaitMs: 2, concurrency: 1 },
      intraOpThreads: 2,
      inferenceThread: 'main',
      workerMinRows: 16,
      feedback: { capacity: 10, window: 5 },
      drainTimeoutMs: 100,
      drainDelayMs: 10,
      logLevel: 'warn',
      logRequests: false,
    });
    expect(
      loadConfig({ MODEL_SOURCE: 'git', MODEL_REF: 'origin/main', MODEL_REPO_ROOT: 'repo' }, '/srv').source,
    ).toEqual({ kind: 'git', root: '/srv/repo', ref: 'origin/main' });
    expect(loadConfig({ MODEL_SOURCE: 'directory' }, '/srv').source).toEqual({ kind: 'directory', root: '/srv' });
  });

  it.each([
    [{ PORT: '80a' }, 'PORT must be an integer from 0 to 65535, got "80a"'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535, got "70000"'],
    [{ MAX_INFLIGHT: '0' }, 'MAX_INFLIGHT must be an integer from 1 to 1000000, got "0"'],
    [{ BATCH_MAX_WAIT_MS: '1.5' }, 'BATCH_MAX_WAIT_MS must be an integer from 0 to 1000, got "1.5"'],
    [{ SHADOW_BATCH_WAIT_MS: '-1' }, 'SHADOW_BATCH_WAIT_MS must be an integer from 0 to 1000, got "-1"'],
    [{ SHADOW_SAMPLE_PERCENT: '0' }, 'SHADOW_SAMPLE_PERCENT must be an integer from 1 to 100, got "0"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be debug, info, warn, error or silent, got "loud"'],
    [{ LOG_REQUESTS: 'maybe' }, 'LOG_REQUESTS must be true or false (1/0), got "maybe"'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN must be at least 16 characters'],
    [{ MODEL_SOURCE: 'ftp' }, 'MODEL_SOURCE must be auto, git, directory or remote, got "ftp"'],
    [
      { MODEL_REPO_URL: 'file:///x', MODEL_SOURCE: 'git' },
      'MODEL_SOURCE=git conflicts with MODEL_REPO_URL (a remote source)',
    ],
    [{ MODEL_REPO_URL: 'file:///x', MODEL_REPO_BRANCH: 'a..b' }, 'MODEL_REPO_BRANCH is not a branch name: "a..b"'],
    [{ MANIFEST_PATH: '../outside.json' }, 'MANIFEST_PATH must be repository-relative, got "../outside.json"'],
    [{ INFERENCE_THREAD: 'gpu' }, 'INFERENCE_THREAD must be split, worker or main, got "gpu"'],
    [{ BATCH_CONCURRENCY: '0' }, 'BATCH_CONCURRENCY must be an integer from 1 to 64, got "0"'],
  ])('names the variable: %j', (env, message) => {
    expect(() => loadConfig(env, '/srv')).toThrow(message);
  });
});
