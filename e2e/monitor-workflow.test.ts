/**
 * The monitor workflow end to end: .github/workflows/monitor.yml, run by the local runner against
 * the GitHub emulator (seeded with this repository's committed HEAD), monitors a real service (the
 * committed champion) whose feedback says the opposite of what happened: every delayed flight is
 * reported on time and every on-time flight delayed, so recall at the served threshold falls far
 * below the 0.33 floor. Without a Prometheus the rules are evaluated over the service's /metrics.
 * Two runs (a dispatch, then a schedule tick) leave exactly one rollback pull request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../emulator/index.ts';
import { loadFlights } from '../lib/data/flights.ts';
import { createOctokitForge } from '../lib/forge/octokit-forge.ts';
import { nodeModulesCacheKey } from '../lib/gitops/cache-keys.ts';
import type { Forge } from '../lib/forge/forge.ts';
import { readManifest } from '../lib/manifest/store.ts';
import { rollbackBranch } from '../lib/monitoring/monitor.ts';
import { replay } from '../lib/replay/replay.ts';
import { selectTraffic } from '../lib/replay/traffic.ts';
import { nodeRepoFiles } from '../lib/util/repo-files.ts';
import { emulatorPorts } from '../runner/emulator-ports.ts';
import { scheduleEvent, workflowDispatchEvent } from '../runner/events.ts';
import { createRunner, type Runner } from '../runner/runner.ts';
import { seedCacheEntry } from '../runner/stand-ins/cache.ts';
import { monitorBareRepository } from '../testing/monitor-repo.ts';
import { type ServerProcess, startServerProcess } from '../testing/server-process.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const FULL_NAME = 'taxiway/flight-delay';

let dir: string;
let emulator: Emulator;
let service: ServerProcess;
let runner: Runner;
let forge: Forge;
let context: Parameters<typeof scheduleEvent>[0];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'taxiway-monitor-e2e-'));
  const bare = await monitorBareRepository(ROOT, dir);
  emulator = await startEmulator({
    repositories: [
      { owner: 'taxiway', name: 'flight-delay', path: bare, protection: { requiredChecks: ['model-gate'] } },
    ],
  });
  forge = createOctokitForge({
    token: emulator.adminToken,
    owner: 'taxiway',
    repo: 'flight-delay',
    baseUrl: emulator.apiUrl,
    writeIntervalMs: 0,
    retries: 0,
  });
  service = await startServerProcess({ env: { LOG_REQUESTS: 'false' } });
  await service.ready();

  const ports = await emulatorPorts(emulator, FULL_NAME, { cacheDir: path.join(dir, 'mirror') });
  const cacheDir = path.join(dir, 'actions-cache');
  // node_modules as a previous run saved it (linked: restoring is instant), under the workflow's key.
  await seedCacheEntry(
    cacheDir,
    nodeModulesCacheKey(ROOT),
    { node_modules: path.join(ROOT, 'node_modules') },
    { link: true },
  );
  runner = await createRunner({
    ...ports,
    cacheDir,
    workRoot: path.join(dir, 'work'),
    secrets: { TAXIWAY_APP_PRIVATE_KEY: 'test-private-key' },
    vars: { TAXIWAY_APP_ID: '1', SERVICE_URL: service.url },
  });
  context = { repository: ports.repository, serverUrl: ports.urls.serverUrl };

  // Feedback made bad: the real outcome of every flight, inverted.
  const flights = selectTraffic(await loadFlights(), { week: '2001-06-04', limit: 1200, seed: 7 }).flights.map((f) => ({
    ...f,
    delayMinutes: f.delayMinutes > 15 ? 0 : 60,
  }));
  const summary = await replay({ url: service.url, flights, rate: 50, batchSize: 50, feedbackDelayMs: 0 });
  expect(summary.feedback.matched).toBe(flights.length);
}, 180_000);

afterAll(async () => {
  await service?.stop();
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  expect(emulator.violations).toEqual([]);
});

describe('monitor.yml on the emulator', () => {
  it('opens one rollback pull request for the recall breach across two runs', async () => {
    const champion = (await readManifest(nodeRepoFiles(ROOT)))!.champion.version;
    const first = await runner.handle(
      workflowDispatchEvent(context, { workflow: 'monitor.yml', inputs: { reason: 'e2e' } }),
    );
    const second = await runner.handle(scheduleEvent(context, { cron: '*/15 * * * *' }));
    const runs = [...first.runs, ...second.runs];
    const summaries = runs.map((r) =>
      emulator.runs
        .jobs(FULL_NAME, Number(r.id))
        .map((j) => j.summary ?? '')
        .join('\n'),
    );
    expect(
      runs.map((r) => [r.workflow, r.conclusion]),
      summaries.join('\n---\n'),
    ).toEqual([
      ['.github/workflows/monitor.yml', 'success'],
      ['.github/workflows/monitor.yml', 'success'],
    ]);

    const prs = await forge.listPullRequests({ state: 'all' });
    expect(prs.map((p) => [p.head.ref, p.state])).toEqual([[rollbackBranch(champion), 'open']]);
    expect(prs[0].body).toContain('| `TaxiwayRecallBelowFloor` |');
    const recall = Number(/\| `TaxiwayRecallBelowFloor` \| [^|]+ \| ([0-9.]+) \|/.exec(prs[0].body!)![1]);
    expect(recall).toBeLessThan(0.33);
    // The head reverts the last promotion; the pull request was made by the App, so workflows run on it.
    const head = await forge.getFile('manifests/production.json', prs[0].head.sha);
    const before = (await readManifest(nodeRepoFiles(ROOT)))!;
    expect(JSON.parse(head!.content.toString()).champion.version).toBe(before.previous!.version);
    const opened = emulator.events.list({ name: 'pull_request' }).filter((e) => e.payload.action === 'opened');
    expect(opened.map((e) => e.actor.kind)).toEqual(['installation']);

    expect(summaries[0]).toMatch(/\| `TaxiwayRecallBelowFloor` \| 🔴 firing \| critical \| rollback \|/);
    expect(summaries[0]).toMatch(/\*\*Rollback\*\*: opened pull request/);
    expect(summaries[1]).toMatch(/\*\*Rollback\*\*: updated pull request/);
    console.log(`monitor e2e: recall ${recall} on ${champion}; first run summary:\n${summaries[0]}`);
  }, 300_000);
});
