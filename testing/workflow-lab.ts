/**
 * This repository's workflows on the local runner against the GitHub emulator, for workflow tests:
 * a bare repository seeded from a commit of this repository (default: HEAD), `main` protected with a
 * required `model-gate`, a runner listening to the emulator's events, and a runner cache store
 * pre-filled with this checkout's `node_modules` (and `.cache/flights` when present) under the keys
 * the workflows use, so jobs restore them instead of running `npm ci`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Emulator, startEmulator } from '../emulator/index.ts';
import { createOctokitForge } from '../lib/forge/octokit-forge.ts';
import type { Forge } from '../lib/forge/forge.ts';
import { seedBareRepository } from '../lib/demo/workspace.ts';
import { cacheKeys } from '../lib/gitops/cache-keys.ts';
import { emulatorPorts } from '../runner/emulator-ports.ts';
import type { WorkflowEvent } from '../runner/ports.ts';
import { createRunner, type HandledEvent, type Runner } from '../runner/runner.ts';
import { seedCacheEntry } from '../runner/stand-ins/cache.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');
export const LAB_OWNER = 'taxiway';
export const LAB_REPO = 'flight-delay';

/** What the workflows read (notes in actions/README.md); the emulator mints the App's tokens. */
export const LAB_VARS = { TAXIWAY_APP_ID: '1' };
export const LAB_SECRETS = { TAXIWAY_APP_PRIVATE_KEY: 'emulated-app-key' };

export interface WorkflowLab {
  dir: string;
  emulator: Emulator;
  fullName: string;
  /** Admin forge (a person with write access). */
  forge: Forge;
  runner: Runner;
  /** The runner's `vars` (the same object: set one after a service it names has started). */
  vars: Record<string, string>;
  /** Every event the runner handled, and the errors it met. */
  handled: Array<{ event: WorkflowEvent; handled: HandledEvent }>;
  errors: unknown[];
  /** Every run triggered so far has finished (and the runs those started). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Pre-fills a runner cache store with this checkout's folders under the workflows' keys (symbolic links). */
export async function seedWorkflowCaches(cacheDir: string, repoDir = REPO_ROOT): Promise<string[]> {
  const keys = cacheKeys(repoDir);
  const seeded: string[] = [];
  for (const [folder, key] of Object.entries(keys)) {
    const source = path.join(repoDir, folder);
    if (!existsSync(source)) continue;
    await seedCacheEntry(cacheDir, key, { [folder]: source }, { link: true });
    seeded.push(key);
  }
  return seeded;
}

export async function startWorkflowLab(
  options: {
    vars?: Record<string, string>;
    secrets?: Record<string, string>;
    /** Required contexts on main (default: model-gate). */
    requiredChecks?: string[];
    live?: (line: string) => void;
    /** Changes the seeded bare repository before the emulator serves it (a scratch folder is given). */
    prepare?: (bare: string, scratch: string) => Promise<void>;
  } = {},
): Promise<WorkflowLab> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'taxiway-workflow-lab-'));
  const bare = path.join(dir, `${LAB_REPO}.git`);
  await seedBareRepository(REPO_ROOT, bare);
  await options.prepare?.(bare, dir);
  const fullName = `${LAB_OWNER}/${LAB_REPO}`;
  const emulator = await startEmulator({
    repositories: [
      {
        owner: LAB_OWNER,
        name: LAB_REPO,
        path: bare,
        protection: { requiredChecks: options.requiredChecks ?? ['model-gate'] },
      },
    ],
  });
  const cacheDir = path.join(dir, 'cache');
  await seedWorkflowCaches(cacheDir);
  const ports = await emulatorPorts(emulator, fullName, { cacheDir: path.join(dir, 'mirror') });
  const vars = { ...LAB_VARS, ...options.vars };
  const runner = await createRunner({
    ...ports,
    secrets: { ...LAB_SECRETS, ...options.secrets },
    vars,
    workRoot: path.join(dir, 'work'),
    cacheDir,
    live: options.live,
  });
  const handled: WorkflowLab['handled'] = [];
  const errors: unknown[] = [];
  const stop = runner.listen(ports.events, {
    onHandled: (event, result) => handled.push({ event, handled: result }),
    onError: (_event, error) => errors.push(error),
  });
  const forge = createOctokitForge({
    token: emulator.adminToken,
    owner: LAB_OWNER,
    repo: LAB_REPO,
    baseUrl: emulator.apiUrl,
    writeIntervalMs: 0,
    retries: 0,
  });
  return {
    dir,
    emulator,
    fullName,
    forge,
    runner,
    vars,
    handled,
    errors,
    idle: () => runner.idle(),
    async close() {
      stop();
      await runner.idle();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Stops a lab (if it started) and returns what the emulator saw that violated GitHub's description. */
export async function closeWorkflowLab(lab: WorkflowLab | undefined): Promise<unknown[]> {
  const violations = [...(lab?.emulator.violations ?? [])];
  await lab?.close();
  return violations;
}
