/**
 * Assembles and runs the service: model source → model manager → app → HTTP listener, plus the
 * drain sequence for shutdown. `server.ts` calls this with the real process; the bench and e2e
 * tests run `server.ts` as a child process.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { loadOnnxScorer } from '../lib/onnx/runtime.ts';
import { createApp, type RouteModule, type ServiceState, storeEvents, storeLimits } from './app.ts';
import { MetricsSampler } from './dashboard-data.ts';
import { openPredictionStore } from './prediction-store.ts';
import { loadConfig, type ServiceConfig } from './config.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { type InferenceThread, startInferenceThread } from './inference-thread.ts';
import { type LoadScorer, ModelManager } from './model-manager.ts';
import { inThreadScorer, splitScorer, workerThreshold } from './scorer.ts';
import { directorySource, isGitCheckout, localGitSource, type ModelSource, remoteGitSource } from './model-source.ts';
import { createServiceMetrics, type ServiceMetrics } from './service-metrics.ts';
import { errorMessage } from '../lib/util/errors.ts';

export interface RunningService {
  url: string;
  port: number;
  manager: ModelManager;
  state: ServiceState;
  /** Readiness off, stop accepting, wait for in-flight requests (up to drainTimeoutMs), release. */
  shutdown(reason: string): Promise<{ drained: boolean; abandoned: number }>;
}

export interface StartOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  loadScorer?: LoadScorer;
  /** The service cannot go on (the inference worker died); server.ts exits so a supervisor restarts it. */
  onFatal?: (error: Error) => void;
  /** Route groups mounted beside the service's own (the bench's echo control). */
  routes?: RouteModule[];
}

export async function createSource(
  config: ServiceConfig,
  env?: Record<string, string | undefined>,
): Promise<ModelSource> {
  const source = config.source;
  switch (source.kind) {
    case 'remote':
      return remoteGitSource({ url: source.url, branch: source.branch, cacheDir: source.cacheDir, env });
    case 'git':
      return localGitSource(source.root, source.ref);
    case 'directory':
      return directorySource(source.root, config.manifestPath);
    case 'auto':
      return (await isGitCheckout(source.root))
        ? localGitSource(source.root, 'HEAD')
        : directorySource(source.root, config.manifestPath);
  }
}

function processMetricsCollector(): (m: ServiceMetrics) => void {
  let mark = performance.eventLoopUtilization();
  return (m) => {
    const cpu = process.cpuUsage();
    m.processCpu.labels().value = (cpu.user + cpu.system) / 1e6;
    m.processMemory.set(process.memoryUsage.rss());
    const next = performance.eventLoopUtilization();
    m.eventLoopUtilization.set(performance.eventLoopUtilization(next, mark).utilization);
    mark = next;
  };
}

export async function startService(config: ServiceConfig, options: StartOptions): Promise<RunningService> {
  const { logger } = options;
  const metrics = createServiceMetrics();
  metrics.processStart.set(Math.round(Date.now() / 1000 - process.uptime()));
  const source = await createSource(config, options.env);
  let thread: InferenceThread | null = null;
  let stopping = false;
  const inThread: LoadScorer = async (bytes) =>
    inThreadScorer(await loadOnnxScorer(bytes, { intraOpThreads: config.intraOpThreads }));
  let loadScorer: LoadScorer = options.loadScorer ?? inThread;
  if (!options.loadScorer && config.inferenceThread !== 'main') {
    const worker = startInferenceThread({
      intraOpThreads: config.intraOpThreads,
      onExit: (error) => {
        if (stopping) return;
        logger.error('inference_worker_died', { error });
        options.onFatal?.(error);
      },
    });
    thread = worker;
    loadScorer =
      config.inferenceThread === 'worker'
        ? worker.loadScorer
        : async (bytes) => {
            const small = await inThread(bytes);
            try {
              const minRows = config.workerMinRows ?? (await workerThreshold(small, config.workerMinMs));
              logger.info('inference_split', {
                workerMinRows: minRows,
                workerMinMs: config.workerMinRows === null ? config.workerMinMs : null,
              });
              return splitScorer(small, await worker.loadScorer(bytes), minRows);
            } catch (error) {
              await small.release();
              throw error;
            }
          };
  }
  const manager = new ModelManager({
    source,
    loadScorer,
    logger,
    metrics,
    manifestPath: config.manifestPath,
    warmupRows: Math.min(config.batching.maxBatchRows, 1024),
  });
  const state: ServiceState = { draining: false, inflight: 0, startedAt: Date.now() };
  // Predictions wait for their outcomes in SQLite, written from a worker thread.
  const store = openPredictionStore(config.predictionStorePath, storeLimits(config), {
    events: storeEvents(metrics, logger),
  });
  const sampler = new MetricsSampler(metrics, {
    sampleMs: config.dashboard.sampleSeconds * 1000,
    windowMs: config.dashboard.windowMinutes * 60_000,
  });
  sampler.start();
  const app = createApp({
    store,
    sampler,
    history: source.history ? (limit) => source.history!(limit) : undefined,
    config,
    models: manager,
    metrics,
    logger,
    state,
    collectProcessMetrics: processMetricsCollector(),
    routes: options.routes,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    // autoCleanupIncoming off: the adapter's own draining of unread bodies costs two listeners per
    // request, and Node's HTTP/1.1 server already discards an unread body when the response ends.
    const s = serve({
      fetch: app.fetch,
      hostname: config.host,
      port: config.port,
      autoCleanupIncoming: false,
    }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  // Slow clients must not pin sockets forever; keep-alive a little longer than typical LB idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  logger.info('listening', {
    url,
    port,
    source: source.description,
    manifest: config.manifestPath,
    pollIntervalMs: config.pollIntervalMs,
    predictionStore: config.predictionStorePath,
    monitoring: config.monitoring,
    inferenceThread: options.loadScorer ? 'custom' : config.inferenceThread,
  });

  // Load after listening: /healthz answers at once, /readyz turns 200 when the model is verified.
  void manager.sync('startup').then(() => manager.startPolling(config.pollIntervalMs));

  let shuttingDown: Promise<{ drained: boolean; abandoned: number }> | null = null;
  const shutdown = (reason: string) => {
    shuttingDown ??= (async () => {
      state.draining = true;
      logger.info('draining', { reason, inflight: state.inflight, drainDelayMs: config.drainDelayMs });
      if (config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.drainDelayMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.drainTimeoutMs;
      while (state.inflight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
        server.closeIdleConnections();
      }
      const abandoned = state.inflight;
      server.closeAllConnections();
      await closed;
      stopping = true;
      sampler.stop();
      await manager.close();
      await thread?.close();
      await store.close().catch((error: unknown) => logger.error('prediction_store_close_failed', { error }));
      logger.info('stopped', { reason, drained: abandoned === 0, abandoned });
      return { drained: abandoned === 0, abandoned };
    })();
    return shuttingDown;
  };
  return { url, port, manager, state, shutdown };
}

/**
 * The process around the service: configuration from the environment (exit 2 when it is bad), JSON
 * logs on stdout, SIGTERM/SIGINT drain and exit (0 when every request finished). `server.ts` runs
 * it; the bench runs it with its echo route mounted.
 */
export function runServer(options: { routes?: RouteModule[] } = {}): void {
  let config: ServiceConfig;
  try {
    config = loadConfig(process.env, process.cwd());
  } catch (error) {
    process.stderr.write(`taxiway service: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  const logger = jsonLogger((chunk) => process.stdout.write(chunk), { level: config.logLevel });
  // Lines wait up to 20 ms in the buffer; never lose them on the way out (exit handlers are sync).
  process.on('exit', () => logger.flush());
  const started = startService(config, {
    logger,
    env: process.env,
    routes: options.routes,
    // Nothing can be scored without the inference worker: exit and let the supervisor restart us.
    onFatal: () => process.exit(1),
  });
  started.then(
    (service) => {
      const stop = (signal: string) => {
        service.shutdown(signal).then(
          ({ drained }) => {
            logger.flush();
            process.exit(drained ? 0 : 1);
          },
          (error: unknown) => {
            logger.error('shutdown_failed', { error });
            logger.flush();
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
    (error: unknown) => {
      process.stderr.write(
        `taxiway service failed to start: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}\n`,
      );
      process.exit(1);
    },
  );
}
