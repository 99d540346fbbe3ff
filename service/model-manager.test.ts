import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toModelInputs } from '../lib/features/flight-features.ts';
import type { RawFlight } from '../lib/features/spec.ts';
import { formatManifest } from '../lib/manifest/format.ts';
import { loadOnnxScorer } from '../lib/onnx/runtime.ts';
import { createApp } from './app.ts';
import { silentLogger, memoryLogger } from './logger.ts';
import { type LoadScorer, ModelManager } from './model-manager.ts';
import { inThreadScorer } from './scorer.ts';
import { directorySource, gitEnvironment, localGitSource, type ModelSource, remoteGitSource } from './model-source.ts';
import { createServiceMetrics } from './service-metrics.ts';
import {
  corruptArtifact,
  createFixtureRepo,
  entryOf,
  type FixtureRepo,
  manifestFor,
  wrongSchemaArtifact,
} from '../testing/service-fixtures.ts';
import { json, testConfig } from '../testing/service-fakes.ts';

let repo: FixtureRepo;
const managers: ModelManager[] = [];

beforeAll(async () => {
  repo = await createFixtureRepo();
}, 180_000);

afterAll(async () => {
  for (const m of managers) await m.close();
  await repo?.cleanup();
});

/** Counts live ORT sessions, to prove refused and replaced models are released. */
function countingLoader() {
  const live = new Set<object>();
  const load: LoadScorer = async (bytes) => {
    const scorer = inThreadScorer(await loadOnnxScorer(bytes));
    const handle = {};
    live.add(handle);
    return {
      scoreFlights: (flights) => scorer.scoreFlights(flights),
      release: async () => {
        live.delete(handle);
        await scorer.release();
      },
    };
  };
  return { load, live };
}

function manager(
  source: ModelSource = localGitSource(repo.dir),
  loadScorer: LoadScorer = async (b) => inThreadScorer(await loadOnnxScorer(b)),
) {
  const metrics = createServiceMetrics();
  const logger = memoryLogger();
  const m = new ModelManager({ source, loadScorer, logger, metrics, warmupRows: 64 });
  managers.push(m);
  return { m, metrics, logger };
}

async function resetToA() {
  await repo.commit({ 'manifests/production.json': formatManifest(manifestFor(entryOf(repo.models.a))) }, 'reset to a');
}

describe('ModelManager', () => {
  it('loads, verifies and warms the champion named by the committed manifest', async () => {
    await resetToA();
    const { m, metrics, logger } = manager();
    const outcome = await m.sync('startup');
    expect(outcome).toMatchObject({ result: 'loaded', version: repo.models.a.version });
    expect(m.current?.version).toBe(repo.models.a.version);
    expect(m.status()).toMatchObject({
      inSync: true,
      lastError: null,
      serving: { version: repo.models.a.version, sha256: repo.models.a.sha256 },
    });
    expect(metrics.modelLoads.labels('success', 'ok', 'champion').value).toBe(1);
    expect(metrics.modelInfo.labels(repo.models.a.version, repo.models.a.sha256).value).toBe(1);
    expect(metrics.manifestInSync.labels().value).toBe(1);
    // Model-age and out-of-sync alerts read these.
    expect(metrics.modelTrainedAt.labels().value).toBe(Date.parse(repo.models.a.card.createdAt) / 1000);
    expect(metrics.modelPromotedAt.labels().value).toBeGreaterThan(Date.parse('2001-01-01') / 1000);
    const checked = metrics.sourceCheckedAt.labels().value;
    expect(Math.abs(checked - Date.now() / 1000)).toBeLessThan(60);
    expect(logger.records.find((r) => r.event === 'model_loaded')).toMatchObject({
      version: repo.models.a.version,
      trigger: 'startup',
    });
    // A second look at the same commit does nothing.
    expect(await m.sync('poll')).toMatchObject({ result: 'unchanged' });
    expect(metrics.modelLoads.labels('success', 'ok', 'champion').value).toBe(1);
  });

  it('describes serving, champion and previous with lineage from the cards', async () => {
    await repo.promote(entryOf(repo.models.b));
    const { m } = manager();
    await m.sync('startup');
    const d = m.describe();
    const card = repo.models.b.card;
    expect(d.inSync).toBe(true);
    expect(d.champion).toMatchObject({
      version: card.version,
      sha256: card.artifact.sha256,
      trainedAt: card.createdAt,
      codeCommit: card.code.commit,
      threshold: card.threshold,
    });
    expect(d.champion?.metrics?.auc).toBe(card.metrics.evaluation.auc);
    expect(d.champion?.data?.asOf).toBe(card.data.asOf);
    expect(d.previous).toMatchObject({ version: repo.models.a.version });
    expect(d.serving).toMatchObject({ version: card.version });
    await resetToA();
  });

  it('reads committed state only: an uncommitted manifest edit is ignored', async () => {
    await resetToA();
    const { m } = manager();
    await m.sync('startup');
    await writeFile(
      path.join(repo.dir, 'manifests/production.json'),
      formatManifest(manifestFor(entryOf(repo.models.b))),
    );
    expect(await m.sync('poll', true)).toMatchObject({ result: 'unchanged', version: repo.models.a.version });
    await repo.git.checkout(['--', 'manifests/production.json']);
  });

  type Breakage = [reason: string, message: RegExp, prepare: () => Promise<void>];
  const breakages: Breakage[] = [
    [
      'missing_file',
      /does not exist/,
      async () => {
        const entry = {
          ...entryOf(repo.models.b),
          version: '2001-04-15-deadbeef',
          path: 'models/flight-delay/2001-04-15-deadbeef/model.onnx',
        };
        await repo.commit(
          { 'manifests/production.json': formatManifest(manifestFor(entry, entryOf(repo.models.a))) },
          'point at a missing artifact',
        );
      },
    ],
    [
      'hash_mismatch',
      /has sha256 [0-9a-f]{64}, the manifest says 0{64}/,
      async () => {
        const entry = { ...entryOf(repo.models.b), sha256: '0'.repeat(64) };
        await repo.commit(
          { 'manifests/production.json': formatManifest(manifestFor(entry, entryOf(repo.models.a))) },
          'wrong sha256',
        );
      },
    ],
    [
      'corrupt_onnx',
      /corrupt|cannot load/,
      async () => {
        const entry = await repo.addVersion(
          '2001-04-15-c0440b7d',
          corruptArtifact(repo.models.b.bytes),
          repo.models.b.card,
        );
        await repo.promote(entry);
      },
    ],
    [
      'schema_mismatch',
      /feature contract.*numeric/,
      async () => {
        const entry = await repo.addVersion(
          '2001-04-15-5c4e3a00',
          wrongSchemaArtifact(repo.models.b.card, '2001-04-15-5c4e3a00'),
          repo.models.b.card,
        );
        await repo.promote(entry);
      },
    ],
    [
      'golden_mismatch',
      /golden outputs differ by more than 1e-6/,
      async () => {
        // b's bytes with a's golden examples: a different model cannot reproduce them.
        const entry = await repo.addVersion('2001-04-15-9011de00', repo.models.b.bytes, repo.models.b.card, {
          golden: repo.models.a.card.golden,
        });
        await repo.promote(entry);
      },
    ],
    [
      'manifest_invalid',
      /champion\.sha256 must be 64 lowercase hex/,
      async () => {
        const bad = { ...manifestFor(entryOf(repo.models.b)), champion: { ...entryOf(repo.models.b), sha256: 'XYZ' } };
        await repo.commit({ 'manifests/production.json': JSON.stringify(bad) }, 'hand-edited manifest');
      },
    ],
  ];

  it.each(breakages)('refuses a champion with %s and keeps serving the old model', async (reason, message, prepare) => {
    await resetToA();
    const { load, live } = countingLoader();
    const { m, metrics, logger } = manager(localGitSource(repo.dir), load);
    await m.sync('startup');
    const serving = m.current!;
    await prepare();
    const outcome = await m.sync('poll');
    expect(outcome).toMatchObject({ result: 'failed', reason });
    expect(outcome.message).toMatch(message);
    expect(m.current).toBe(serving);
    expect(m.status()).toMatchObject({
      inSync: false,
      lastError: { reason },
      serving: { version: repo.models.a.version },
    });
    expect(metrics.modelLoads.labels('failure', reason, 'champion').value).toBe(1);
    expect(metrics.manifestInSync.labels().value).toBe(0);
    expect(logger.records.find((r) => r.event === 'model_load_failed')).toMatchObject({
      reason,
      servingVersion: repo.models.a.version,
    });
    // Still serving, and every candidate session that was opened got released.
    const golden = repo.models.a.card.golden;
    const held = m.acquire()!;
    const { scores } = await held.scoreFlights(golden.map((g) => g.input));
    held.letGo();
    expect(Array.from(scores)).toEqual(golden.map((g) => Math.fround(g.probability)));
    expect(live.size).toBe(1);
    // The same broken commit is not retried on every poll.
    expect(await m.sync('poll')).toMatchObject({ result: 'unchanged' });
    expect(metrics.modelLoads.labels('failure', reason, 'champion').value).toBe(1);
  });

  it('reports a failed first load in status and stays not ready', async () => {
    await repo.commit(
      {
        'manifests/production.json': formatManifest(manifestFor({ ...entryOf(repo.models.a), sha256: 'f'.repeat(64) })),
      },
      'broken from the start',
    );
    const { m } = manager();
    expect(await m.sync('startup')).toMatchObject({ result: 'failed', reason: 'hash_mismatch' });
    expect(m.current).toBeNull();
    expect(m.acquire()).toBeNull();
    expect(m.status()).toMatchObject({
      serving: null,
      lastError: { reason: 'hash_mismatch', version: repo.models.a.version },
    });
    await resetToA();
  });

  it('swaps atomically and releases the old session only after its last in-flight request', async () => {
    await resetToA();
    const { load, live } = countingLoader();
    const { m } = manager(localGitSource(repo.dir), load);
    await m.sync('startup');
    const old = m.acquire()!;
    await repo.promote(entryOf(repo.models.b));
    expect(await m.sync('poll')).toMatchObject({ result: 'loaded', version: repo.models.b.version });
    expect(m.current?.version).toBe(repo.models.b.version);
    expect(live.size).toBe(2);
    // The request that started on the old model still scores on it.
    const golden = repo.models.a.card.golden;
    const { scores } = await old.scoreFlights(golden.map((g) => g.input));
    expect(scores[0]).toBe(Math.fround(golden[0].probability));
    expect(old.released).toBe(false);
    old.letGo();
    expect(old.released).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(live.size).toBe(1);
    await resetToA();
  });

  it('serves every concurrent request from exactly one model while hot swaps happen', async () => {
    await resetToA();
    const { m, metrics } = manager();
    await m.sync('startup');
    const app = createApp({ config: testConfig(), models: m, metrics, logger: silentLogger });
    const flight: RawFlight = repo.models.a.card.golden[3].input;
    // What each version says about this flight.
    const expected = new Map<string, number>();
    for (const model of [repo.models.a, repo.models.b]) {
      const scorer = await loadOnnxScorer(model.bytes);
      expected.set(model.version, (await scorer.score(toModelInputs([flight])))[0]);
      await scorer.release();
    }
    expect(expected.get(repo.models.a.version)).not.toBe(expected.get(repo.models.b.version));

    let stop = false;
    const seen = new Map<string, number>();
    const failures: string[] = [];
    const client = async () => {
      while (!stop) {
        const res = await app.request('/v1/predict', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(flight),
        });
        const body = await json(res);
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(body)}`);
        else if (body.probability !== expected.get(body.model))
          failures.push(`version ${body.model} answered ${body.probability}`);
        else seen.set(body.model, (seen.get(body.model) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 16 }, client);
    for (let i = 0; i < 6; i++) {
      await repo.promote(entryOf(i % 2 === 0 ? repo.models.b : repo.models.a));
      expect(await m.sync('poll')).toMatchObject({ result: 'loaded' });
      await new Promise((r) => setTimeout(r, 20));
    }
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(seen.get(repo.models.a.version)).toBeGreaterThan(0);
    expect(seen.get(repo.models.b.version)).toBeGreaterThan(0);
    expect(m.current?.version).toBe(repo.models.a.version);
    expect(m.current?.inflight).toBe(0);
  });

  it('runs one load at a time and never loses a reload requested during one', async () => {
    await resetToA();
    const git = localGitSource(repo.dir);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // Holds the first sync after it has read its revision, so a commit lands mid-load.
    const source: ModelSource = {
      ...git,
      description: git.description,
      revision: async () => {
        const revision = await git.revision();
        await gate;
        return revision;
      },
    };
    const { m } = manager(source);
    const first = m.sync('startup');
    await new Promise((r) => setTimeout(r, 50));
    await repo.promote(entryOf(repo.models.b));
    const second = m.sync('admin');
    const third = m.sync('admin');
    expect(third).toBe(second);
    open();
    expect((await first).version).toBe(repo.models.a.version);
    expect(await second).toMatchObject({ result: 'loaded', version: repo.models.b.version });
    expect(m.current?.version).toBe(repo.models.b.version);
    await resetToA();
  });

  it('loads a challenger beside the champion, follows its mode and traffic, and drops it when removed', async () => {
    await resetToA();
    const { m, metrics } = manager();
    await m.sync('startup');
    const withChallenger = (mode: 'shadow' | 'canary', traffic: number) =>
      formatManifest({
        ...manifestFor(entryOf(repo.models.a)),
        challenger: { ...entryOf(repo.models.b), mode, traffic },
      });
    await repo.commit({ 'manifests/production.json': withChallenger('shadow', 0) }, 'shadow b');
    expect(await m.sync('poll')).toMatchObject({
      result: 'unchanged',
      version: repo.models.a.version,
      challenger: { result: 'loaded', version: repo.models.b.version },
    });
    expect(m.challenger()).toEqual({ mode: 'shadow', traffic: 0, version: repo.models.b.version });
    expect(metrics.modelLoads.labels('success', 'ok', 'challenger').value).toBe(1);
    expect(metrics.challengerInfo.labels(repo.models.b.version, repo.models.b.sha256, 'shadow').value).toBe(1);
    const held = m.acquireChallenger()!;
    expect(held.version).toBe(repo.models.b.version);

    await repo.commit({ 'manifests/production.json': withChallenger('canary', 0.25) }, 'canary b at 25%');
    expect(await m.sync('poll')).toMatchObject({ challenger: { result: 'unchanged' } });
    expect(m.challenger()).toEqual({ mode: 'canary', traffic: 0.25, version: repo.models.b.version });
    expect(metrics.challengerTraffic.labels().value).toBe(0.25);
    expect(m.describe().challenger).toMatchObject({
      version: repo.models.b.version,
      mode: 'canary',
      traffic: 0.25,
      loaded: true,
      error: null,
    });

    await resetToA();
    expect(await m.sync('poll')).toMatchObject({ challenger: { result: 'removed', version: repo.models.b.version } });
    expect(m.challenger()).toBeNull();
    // The request that held it still finishes on it; then it is released.
    expect(held.released).toBe(false);
    held.letGo();
    expect(held.released).toBe(true);
  });

  it('refuses a broken challenger without touching the champion', async () => {
    await resetToA();
    const { m, metrics } = manager();
    await m.sync('startup');
    const entry = await repo.addVersion(
      '2001-04-15-c0440b7e',
      corruptArtifact(repo.models.b.bytes),
      repo.models.b.card,
    );
    await repo.commit(
      {
        'manifests/production.json': formatManifest({
          ...manifestFor(entryOf(repo.models.a)),
          challenger: { ...entry, mode: 'canary', traffic: 0.5 },
        }),
      },
      'broken canary',
    );
    const outcome = await m.sync('poll');
    expect(outcome).toMatchObject({
      result: 'unchanged',
      version: repo.models.a.version,
      challenger: { result: 'failed', reason: 'corrupt_onnx' },
    });
    expect(m.challenger()).toBeNull();
    expect(m.current?.version).toBe(repo.models.a.version);
    expect(m.status()).toMatchObject({
      inSync: true,
      lastError: null,
      lastChallengerError: { role: 'challenger', reason: 'corrupt_onnx' },
    });
    expect(metrics.modelLoads.labels('failure', 'corrupt_onnx', 'challenger').value).toBe(1);
    await resetToA();
  });

  it('follows a remote repository through a bare clone that it fetches', async () => {
    await resetToA();
    const cacheDir = path.join(repo.dir, '..', `${path.basename(repo.dir)}-clone`);
    const source = remoteGitSource({ url: `file://${repo.dir}`, branch: 'main', cacheDir });
    const { m } = manager(source);
    expect(await m.sync('startup')).toMatchObject({ result: 'loaded', version: repo.models.a.version });
    expect(source.description).toBe(`file://${repo.dir} (main)`);
    await repo.promote(entryOf(repo.models.b));
    expect(await m.sync('poll')).toMatchObject({ result: 'loaded', version: repo.models.b.version });
    await resetToA();
    expect(await m.sync('poll')).toMatchObject({ result: 'loaded', version: repo.models.a.version });
    await m.close();
    const { rm } = await import('node:fs/promises');
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('follows a remote from a shell whose environment sets an editor, a pager and an ssh command', async () => {
    // simple-git refuses to run with EDITOR/PAGER/GIT_SSH_COMMAND… in the environment it is given
    // unless told; the service passes the operator's environment (server.ts: process.env).
    await resetToA();
    const cacheDir = path.join(repo.dir, '..', `${path.basename(repo.dir)}-shell-clone`);
    const env = {
      ...process.env,
      EDITOR: 'vi',
      GIT_EDITOR: 'vi',
      PAGER: 'less',
      GIT_PAGER: 'less',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    };
    const source = remoteGitSource({ url: `file://${repo.dir}`, branch: 'main', cacheDir, env });
    const { m } = manager(source);
    expect(await m.sync('startup')).toMatchObject({ result: 'loaded', version: repo.models.a.version });
    await repo.promote(entryOf(repo.models.b));
    expect(await m.sync('poll')).toMatchObject({ result: 'loaded', version: repo.models.b.version });
    await m.close();
    await resetToA();
    const { rm } = await import('node:fs/promises');
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('runs git without the interactive variables and never prompting', () => {
    expect(gitEnvironment({ EDITOR: 'vi', Pager: 'less', GIT_SSH_COMMAND: 'ssh', PATH: '/bin' })).toEqual({
      GIT_SSH_COMMAND: 'ssh',
      PATH: '/bin',
      GIT_TERMINAL_PROMPT: '0',
    });
  });

  it('reports an unreachable remote as source_error', async () => {
    const source = remoteGitSource({
      url: `file://${repo.dir}-does-not-exist`,
      branch: 'main',
      cacheDir: `${repo.dir}-nowhere`,
    });
    const { m: failing, metrics } = manager(source);
    expect(await failing.sync('startup')).toMatchObject({ result: 'failed', reason: 'source_error' });
    // Never read: the out-of-sync alert sees no fresh check.
    expect(metrics.sourceCheckedAt.labels().value).toBe(0);
  });

  it('can read a plain folder (an image built without .git)', async () => {
    await resetToA();
    const { m } = manager(directorySource(repo.dir, 'manifests/production.json'));
    expect(await m.sync('startup')).toMatchObject({ result: 'loaded', version: repo.models.a.version });
    expect(m.status().manifest?.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
