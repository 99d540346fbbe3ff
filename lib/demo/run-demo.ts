/**
 * `runDemo`: the stack (workspace, emulator, service, runner), one scenario on it, and what a
 * reader needs afterwards — the timeline with its records, the measured figures, where to look,
 * and how to serve the workspace again. Used by `npm run demo` and by the end-to-end test.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedCacheEntry } from '../../runner/stand-ins/cache.ts';
import { loadFlights } from '../data/flights.ts';
import { flightsCacheKey, nodeModulesCacheKey } from '../gitops/cache-keys.ts';
import { errorMessage } from '../util/errors.ts';
import { DEFAULT_SETTINGS, type DemoContext, type DemoSettings } from './scenario.ts';
import { DEFAULT_SCENARIO, scenarioNamed } from './scenarios.ts';
import { modelUrl } from './service-model.ts';
import { DEMO_FULL_NAME, startDemoStack } from './stack.ts';
import { Timeline, type TimelineStep } from './timeline.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface DemoOptions {
  scenario?: string;
  /** The repository whose committed HEAD is demonstrated (default: this one). */
  repoRoot?: string;
  /** Folder for the workspace (default: a new temporary folder). */
  workspace?: string;
  settings?: Partial<DemoSettings>;
  log?: (line: string) => void;
  /** Every job log line instead of one line per step. */
  verbose?: boolean;
  /** The service's git poll interval (ms). */
  pollIntervalMs?: number;
}

export interface DemoResult {
  scenario: string;
  /** Set when the scenario stopped on an error; the timeline holds the steps up to it. */
  error?: string;
  settings: DemoSettings;
  timeline: TimelineStep[];
  figures: Record<string, number>;
  totalMs: number;
  where: { label: string; url: string }[];
  workspace: string;
  /** The bare repository with the emulator's records inside (`taxiway-emulator/`). */
  bareRepo: string;
  repository: string;
  emulatorUrl: string;
  adminToken: string;
  serviceUrl: string;
  restartCommand: string;
}

/**
 * The runner's actions/cache store as earlier runs would have left it: the repository's installed
 * node_modules and the converted flights (as links: restoring is instant), under the keys the
 * workflows compute, so jobs skip `npm ci` and the parquet conversion.
 */
async function seedRunnerCache(repoRoot: string, cacheDir: string, log: (line: string) => void): Promise<void> {
  const flights = path.join(repoRoot, '.cache', 'flights');
  if (!existsSync(flights)) await loadFlights({ cacheDir: flights, log });
  await seedCacheEntry(
    cacheDir,
    nodeModulesCacheKey(repoRoot),
    { node_modules: path.join(repoRoot, 'node_modules') },
    { link: true },
  );
  await seedCacheEntry(cacheDir, flightsCacheKey(repoRoot), { '.cache/flights': flights }, { link: true });
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const scenario = scenarioNamed(options.scenario ?? DEFAULT_SCENARIO);
  const settings: DemoSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const stack = await startDemoStack({
    repoRoot,
    workspace: options.workspace,
    log,
    verbose: options.verbose,
    pollIntervalMs: options.pollIntervalMs,
    // The App the workflows mint tokens for (the runner's stand-in asks the emulator; any values do).
    vars: { TAXIWAY_APP_ID: '1', ...(settings.trainDays === null ? {} : { TRAIN_DAYS: String(settings.trainDays) }) },
    secrets: { TAXIWAY_APP_PRIVATE_KEY: 'demo: the emulator mints installation tokens' },
    seedCache: (cacheDir) => seedRunnerCache(repoRoot, cacheDir, log),
  });
  const timeline = new Timeline(log);
  const context: DemoContext = { stack, timeline, settings, log, figures: {}, where: [] };
  let error: string | undefined;
  try {
    await scenario.run(context);
  } catch (caught) {
    error = errorMessage(caught);
    log(`\n✗ ${error}`);
  } finally {
    await stack.close();
  }
  context.where.push({ label: 'the model the service served', url: modelUrl(stack.service.url) });
  return {
    scenario: scenario.name,
    ...(error ? { error } : {}),
    settings,
    timeline: timeline.steps,
    figures: context.figures,
    totalMs: Date.now() - started,
    where: context.where,
    workspace: stack.workspace,
    bareRepo: stack.bareRepo,
    repository: DEMO_FULL_NAME,
    emulatorUrl: stack.emulator.url,
    adminToken: stack.emulator.adminToken,
    serviceUrl: stack.service.url,
    restartCommand: stack.restartCommand,
  };
}
