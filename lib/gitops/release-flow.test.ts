/**
 * Rollback through the forge and deploy, against the GitHub emulator seeded with this repository's
 * committed HEAD (its real promotion history and artifacts): the revert lands on the protected
 * branch only with a model-gate status, and a deploy records a Deployment whose statuses say whether
 * the artifact verified.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.ts';
import { seedBareRepository, git } from '../demo/workspace.ts';
import { createOctokitForge } from '../forge/octokit-forge.ts';
import type { Forge } from '../forge/forge.ts';
import { readManifest } from '../manifest/store.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import { deploy } from './deploy.ts';
import { pushRefs, urlWithToken } from './git-remote.ts';
import { rollbackAndPush } from './rollback-push.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const FULL_NAME = 'taxiway/flight-delay';

let dir: string;
let emulator: Emulator;
let appToken: string;
let forge: Forge;

async function cloneMain(name: string): Promise<string> {
  const work = path.join(dir, name);
  await git(dir, ['clone', '--quiet', urlWithToken(emulator.repository(FULL_NAME).cloneUrl, appToken), work]);
  return work;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'taxiway-release-flow-'));
  const bare = path.join(dir, 'flight-delay.git');
  await seedBareRepository(REPO_ROOT, bare);
  emulator = await startEmulator({
    repositories: [
      { owner: 'taxiway', name: 'flight-delay', path: bare, protection: { requiredChecks: ['model-gate'] } },
    ],
  });
  appToken = emulator.mintToken({
    permissions: { contents: 'write', statuses: 'write', pull_requests: 'write', deployments: 'write' },
  }).token;
  forge = createOctokitForge({
    token: appToken,
    owner: 'taxiway',
    repo: 'flight-delay',
    baseUrl: emulator.apiUrl,
    writeIntervalMs: 0,
    retries: 0,
  });
});

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
  expect(emulator.violations).toEqual([]);
});

describe('rollback through the forge', () => {
  it('refuses a push of an unverified commit to the protected branch', async () => {
    const work = await cloneMain('unverified');
    await git(work, ['-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '--quiet', '--allow-empty', '-m', 'x']);
    await expect(pushRefs(work, appToken, ['HEAD:refs/heads/main'])).rejects.toThrow(
      /Required status check "model-gate" is expected/,
    );
  });

  it('reverts the last promotion, sets model-gate on it and moves main, then deploys the restored champion', async () => {
    const work = await cloneMain('rollback');
    const before = (await readManifest(nodeRepoFiles(work)))!;
    const result = await rollbackAndPush({ repoDir: work, forge, pushToken: appToken, reason: 'test: alert fired' });
    expect(result.rolledBackVersion).toBe(before.champion.version);
    expect(result.restoredChampion).toBe(before.previous!.version);
    expect(result.restored.goldenExamples).toBeGreaterThan(0);
    expect((await forge.getRef('heads/main'))?.sha).toBe(result.commit);
    expect(await forge.getRef(`heads/rollback/${result.rolledBackVersion}`)).toBeUndefined();
    const status = await forge.getCombinedStatus(result.commit);
    expect(status.statuses.map((s) => [s.context, s.state])).toEqual([['model-gate', 'success']]);
    const push = emulator.events
      .list({ name: 'push' })
      .filter((event) => event.payload.ref === 'refs/heads/main')
      .at(-1)!;
    expect(push.payload.after).toBe(result.commit);
    expect(push.actor.kind).toBe('installation');
    expect((await git(work, ['log', '-1', '--format=%B'])).trim()).toMatch(/Reason: test: alert fired/);

    const reloads: string[] = [];
    const fakeService: typeof fetch = async (url, init) => {
      reloads.push(`${init?.method} ${String(url)} ${new Headers(init?.headers).get('authorization')}`);
      return Response.json({
        result: 'loaded',
        serving: { version: result.restored.version, sha256: result.restored.sha256 },
      });
    };
    const deployed = await deploy({
      repoDir: work,
      forge,
      sha: result.commit,
      environment: 'production',
      service: { url: 'http://127.0.0.1:9/', token: 'admin-token-0123456789' },
      fetch: fakeService,
      run: { id: '6', url: `${emulator.url}/${FULL_NAME}/actions/runs/6` },
    });
    expect(deployed.state).toBe('success');
    expect(reloads).toEqual(['POST http://127.0.0.1:9/admin/reload Bearer admin-token-0123456789']);
    const statuses = await forge.listDeploymentStatuses(deployed.deployment.id);
    expect(statuses.map((s) => s.state).sort()).toEqual(['in_progress', 'success']);
    expect((await forge.listDeployments({ environment: 'production' }))[0].sha).toBe(result.commit);
  });

  it('refuses to deploy an artifact whose sha256 differs from the manifest, and records the failure', async () => {
    const work = await cloneMain('tampered');
    const manifest = (await readManifest(nodeRepoFiles(work)))!;
    await writeFile(path.join(work, manifest.champion.path), 'not the model');
    const deployed = await deploy({
      repoDir: work,
      forge,
      sha: (await forge.getRef('heads/main'))!.sha,
      environment: 'production',
      // The emulator rejects the empty target_url GitHub answers without a log URL (reported).
      run: { id: '7', url: `${emulator.url}/${FULL_NAME}/actions/runs/7` },
    });
    expect(deployed.state).toBe('failure');
    expect(deployed.error).toMatch(
      new RegExp(`refusing champion ${manifest.champion.version}: .*model.onnx has sha256`),
    );
    const statuses = await forge.listDeploymentStatuses(deployed.deployment.id);
    expect(statuses.map((s) => s.state).sort()).toEqual(['failure', 'in_progress']);
  });
});
