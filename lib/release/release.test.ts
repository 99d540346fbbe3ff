import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_PATH } from '../manifest/store.ts';
import { REGISTRY_MD_PATH } from '../registry/registry-md.ts';
import { tempRepo, writeCandidate, type TempRepo } from '../../testing/registry.ts';
import { promote } from './promote.ts';
import { rollback } from './rollback.ts';
import { deploymentStatus, manifestAtTime } from './status.ts';
import { parseTrailers } from './trailers.ts';

let repo: TempRepo;
let work: { dir: string; cleanup(): Promise<void> };
const at = (iso: string) => () => new Date(iso);

beforeEach(async () => {
  repo = await tempRepo();
  // Candidates live outside the repository, like a training run's output folder.
  const dir = await mkdtemp(path.join(tmpdir(), 'taxiway-candidates-'));
  work = { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
afterEach(async () => {
  await repo.cleanup();
  await work.cleanup();
});

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else out[child] = await readFile(path.join(dir, child), 'utf8');
    }
  };
  await walk('');
  return out;
}

async function promoteTwo() {
  const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one', asOf: '2001-04-01' });
  const first = await promote({
    repoDir: repo.dir,
    candidateDir: v1.dir,
    branch: false,
    now: at('2001-04-01T08:00:00Z'),
  });
  const v2 = await writeCandidate(path.join(work.dir, 'v2'), {
    seed: 'two',
    asOf: '2001-05-01',
    champion: { version: v1.card.version, sha256: v1.card.artifact.sha256 },
  });
  const second = await promote({
    repoDir: repo.dir,
    candidateDir: v2.dir,
    branch: false,
    now: at('2001-05-01T08:00:00Z'),
    run: { id: '77', url: 'https://github.com/acme/taxiway/actions/runs/77' },
  });
  return { v1, v2, first, second };
}

describe('promote', () => {
  it('commits the artifact, card and evidence, the manifest and REGISTRY.md in one commit with trailers', async () => {
    const { v1, v2, first, second } = await promoteTwo();
    expect(first.previousVersion).toBeNull();
    expect(second.previousVersion).toBe(v1.card.version);
    const manifest = JSON.parse(await readFile(path.join(repo.dir, MANIFEST_PATH), 'utf8'));
    expect(manifest).toEqual({
      schemaVersion: 1,
      model: 'flight-delay',
      champion: {
        version: v2.card.version,
        path: `models/flight-delay/${v2.card.version}/model.onnx`,
        sha256: v2.card.artifact.sha256,
      },
      previous: {
        version: v1.card.version,
        path: `models/flight-delay/${v1.card.version}/model.onnx`,
        sha256: v1.card.artifact.sha256,
      },
      challenger: null,
      reason: `promote ${v2.card.version} over ${v1.card.version}`,
      updatedAt: '2001-05-01T08:00:00Z',
    });
    const files = (await repo.git.raw(['show', '--name-only', '--format=', second.commit])).trim().split('\n').sort();
    expect(files).toEqual(
      [
        MANIFEST_PATH,
        REGISTRY_MD_PATH,
        ...['card.json', 'evidence.json', 'gate-report.md', 'model.onnx'].map(
          (f) => `models/flight-delay/${v2.card.version}/${f}`,
        ),
      ].sort(),
    );
    const message = await repo.git.raw(['log', '-1', '--format=%B', second.commit]);
    expect(message.split('\n')[0]).toBe(`promote flight-delay ${v2.card.version}`);
    expect(parseTrailers(message)).toEqual({
      'Model-Version': v2.card.version,
      'Model-Sha256': v2.card.artifact.sha256,
      'Previous-Version': v1.card.version,
      'Run-Id': '77',
      'Run-Url': 'https://github.com/acme/taxiway/actions/runs/77',
      'Gate-Evidence': `models/flight-delay/${v2.card.version}/evidence.json`,
      'Gate-Verdict': 'pass',
    });
    expect(parseTrailers(await repo.git.raw(['log', '-1', '--format=%B', first.commit]))).toMatchObject({
      'Previous-Version': 'none',
      'Run-Id': 'local',
    });
    // git itself reads the same trailers.
    expect(
      (await repo.git.raw(['log', '-1', '--format=%(trailers:key=Gate-Verdict,valueonly)', second.commit])).trim(),
    ).toBe('pass');
    const registry = await readFile(path.join(repo.dir, REGISTRY_MD_PATH), 'utf8');
    expect(registry).toMatch(new RegExp(`${v2.card.version}.*\\*\\*champion\\*\\*`));
    expect(registry).toMatch(new RegExp(`${v1.card.version}.*\\| previous \\|`));
    expect((await repo.git.status()).isClean()).toBe(true);
  });

  it('by default creates promote/<version> for the pull-request flow and leaves main alone', async () => {
    const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
    const mainBefore = (await repo.git.revparse(['main'])).trim();
    const result = await promote({ repoDir: repo.dir, candidateDir: v1.dir });
    expect(result.branch).toBe(`promote/${v1.card.version}`);
    expect((await repo.git.revparse(['main'])).trim()).toBe(mainBefore);
    expect((await repo.git.revparse(['--abbrev-ref', 'HEAD'])).trim()).toBe(`promote/${v1.card.version}`);
    expect((await repo.git.revparse([`promote/${v1.card.version}`])).trim()).toBe(result.commit);
  });

  describe('refuses, writing nothing', () => {
    async function expectRefusal(
      candidateDir: string,
      message: RegExp | string,
      options: { branch?: boolean } = { branch: false },
    ) {
      const before = await snapshot(repo.dir);
      const head = (await repo.git.revparse(['HEAD'])).trim();
      const branches = (await repo.git.branchLocal()).all;
      await expect(promote({ repoDir: repo.dir, candidateDir, ...options })).rejects.toThrow(message);
      expect(await snapshot(repo.dir)).toEqual(before);
      expect((await repo.git.revparse(['HEAD'])).trim()).toBe(head);
      expect((await repo.git.branchLocal()).all).toEqual(branches);
    }

    it('on a dirty tree', async () => {
      const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
      await writeFile(path.join(repo.dir, 'README.md'), 'edited\n');
      await expectRefusal(v1.dir, /refusing to promote: the working tree is dirty[^]*README\.md/);
    });

    it('on an untracked file under models/', async () => {
      const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
      await writeFile(path.join(repo.dir, 'stray.txt'), 'untracked elsewhere is fine\n');
      await mkdir(path.join(repo.dir, 'models'), { recursive: true });
      await writeFile(path.join(repo.dir, 'models/notes.md'), 'x\n');
      await expectRefusal(v1.dir, /dirty[^]*models\/notes\.md/);
    });

    it('on a missing artifact', async () => {
      const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
      await rm(path.join(v1.dir, 'model.onnx'));
      await expectRefusal(v1.dir, `refusing to promote: ${path.join(v1.dir, 'model.onnx')} is missing (the artifact)`, {
        branch: true,
      });
    });

    it('on a hash mismatch between the artifact and its card', async () => {
      const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
      await writeFile(path.join(v1.dir, 'model.onnx'), 'other bytes');
      await expectRefusal(
        v1.dir,
        /^refusing to promote: .*card\.json: artifact\.sha256 does not match .*model\.onnx \(card [0-9a-f]{64}, file [0-9a-f]{64}\)$/,
        { branch: true },
      );
    });

    it('without evidence, with a failing verdict, or with evidence from another champion', async () => {
      const none = await writeCandidate(path.join(work.dir, 'none'), { seed: 'one', evidence: 'none' });
      await expectRefusal(none.dir, /evidence\.json is missing \(run the gate first/);
      const failed = await writeCandidate(path.join(work.dir, 'failed'), { seed: 'one', evidence: 'fail' });
      await expectRefusal(
        failed.dir,
        /the gate verdict is "fail" \(2 failed checks\); only a passing candidate is promoted/,
      );
      const stale = await writeCandidate(path.join(work.dir, 'stale'), {
        seed: 'one',
        champion: { version: 'x', sha256: 'a'.repeat(64) },
      });
      await expectRefusal(
        stale.dir,
        /the gate compared against champion x, but manifests\/production\.json now names none; re-run the gate/,
      );
    });

    it('when the commit itself fails midway (a rejecting pre-commit hook): files and branch are rolled back', async () => {
      const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
      await writeFile(path.join(repo.dir, '.git/hooks/pre-commit'), '#!/bin/sh\necho "hook says no" >&2\nexit 1\n', {
        mode: 0o755,
      });
      await expectRefusal(v1.dir, /hook says no/, { branch: true });
      expect((await repo.git.revparse(['--abbrev-ref', 'HEAD'])).trim()).toBe('main');
      expect((await repo.git.status()).isClean()).toBe(true);
    });

    it('when the version is already registered', async () => {
      const v1 = await writeCandidate(path.join(work.dir, 'v1'), { seed: 'one' });
      await promote({ repoDir: repo.dir, candidateDir: v1.dir, branch: false });
      const again = await writeCandidate(path.join(work.dir, 'again'), {
        seed: 'one',
        champion: { version: v1.card.version, sha256: v1.card.artifact.sha256 },
      });
      await expectRefusal(
        again.dir,
        /is already the champion[^]*already exists in the registry; versions are immutable/,
      );
    });
  });
});

describe('rollback', () => {
  it('reverts the last promotion: the manifest is restored byte for byte, the version stays as retired', async () => {
    const { v1, v2, first, second } = await promoteTwo();
    const manifestAfterFirst = await repo.git.show([`${first.commit}:${MANIFEST_PATH}`]);
    const result = await rollback({ repoDir: repo.dir, reason: 'p99 latency alert' });
    expect(result).toMatchObject({
      reverted: second.commit,
      rolledBackVersion: v2.card.version,
      restoredChampion: v1.card.version,
    });
    expect(await readFile(path.join(repo.dir, MANIFEST_PATH), 'utf8')).toBe(manifestAfterFirst);
    expect(await repo.git.show([`HEAD:${MANIFEST_PATH}`])).toBe(manifestAfterFirst);
    // The artifact and its evidence stay in the registry.
    expect(await readdir(path.join(repo.dir, `models/flight-delay/${v2.card.version}`))).toEqual([
      'card.json',
      'evidence.json',
      'gate-report.md',
      'model.onnx',
    ]);
    const registry = await readFile(path.join(repo.dir, REGISTRY_MD_PATH), 'utf8');
    expect(registry).toMatch(new RegExp(`${v2.card.version}.*\\| retired \\|`));
    expect(registry).toMatch(new RegExp(`${v1.card.version}.*\\*\\*champion\\*\\*`));
    const message = await repo.git.raw(['log', '-1', '--format=%B']);
    expect(message).toContain(`rollback flight-delay ${v2.card.version} to ${v1.card.version}`);
    expect(message).toContain(`This reverts commit ${second.commit}`);
    expect(message).toContain('Reason: p99 latency alert');
    expect(parseTrailers(message)).toEqual({
      'Model-Version': v1.card.version,
      'Rolled-Back-Version': v2.card.version,
      Reverts: second.commit,
    });
    expect((await repo.git.status()).isClean()).toBe(true);

    // A second rollback has nothing left to go back to: v1 was the first champion.
    await expect(rollback({ repoDir: repo.dir })).rejects.toThrow(
      /made the first champion, so there is no previous version to return to/,
    );
    await expect(rollback({ repoDir: repo.dir, commit: second.commit })).rejects.toThrow(/was already rolled back by/);

    // Reverting the rollback re-deploys v2, byte for byte as promoted.
    await repo.git.raw(['revert', '--no-edit', 'HEAD']);
    expect(await readFile(path.join(repo.dir, MANIFEST_PATH), 'utf8')).toBe(
      await repo.git.show([`${second.commit}:${MANIFEST_PATH}`]),
    );
  });

  it('restores the champion and previous of a three-step history exactly', async () => {
    const { v2 } = await promoteTwo();
    const v3 = await writeCandidate(path.join(work.dir, 'v3'), {
      seed: 'three',
      asOf: '2001-05-08',
      champion: { version: v2.card.version, sha256: v2.card.artifact.sha256 },
    });
    const before = await readFile(path.join(repo.dir, MANIFEST_PATH));
    const third = await promote({
      repoDir: repo.dir,
      candidateDir: v3.dir,
      branch: false,
      now: at('2001-05-08T08:00:00Z'),
    });
    expect(third.manifest.previous?.version).toBe(v2.card.version);
    await rollback({ repoDir: repo.dir, commit: third.commit.slice(0, 10) });
    expect(await readFile(path.join(repo.dir, MANIFEST_PATH))).toEqual(before);
    const after = JSON.parse(before.toString('utf8'));
    expect(after.champion.version).toBe(v2.card.version);
  });

  it('rolls back twice in a row: REGISTRY.md, regenerated by the first, does not stop the second', async () => {
    const { v1, v2, first } = await promoteTwo();
    const v3 = await writeCandidate(path.join(work.dir, 'v3'), {
      seed: 'three',
      asOf: '2001-05-08',
      champion: { version: v2.card.version, sha256: v2.card.artifact.sha256 },
    });
    await promote({ repoDir: repo.dir, candidateDir: v3.dir, branch: false, now: at('2001-05-08T08:00:00Z') });
    expect((await rollback({ repoDir: repo.dir })).restoredChampion).toBe(v2.card.version);
    const second = await rollback({ repoDir: repo.dir, reason: 'still bad' });
    expect(second).toMatchObject({ rolledBackVersion: v2.card.version, restoredChampion: v1.card.version });
    expect(await readFile(path.join(repo.dir, MANIFEST_PATH), 'utf8')).toBe(
      await repo.git.show([`${first.commit}:${MANIFEST_PATH}`]),
    );
    const registry = await readFile(path.join(repo.dir, REGISTRY_MD_PATH), 'utf8');
    expect(registry).toMatch(new RegExp(`${v3.card.version}.*\\| retired \\|`));
    expect(registry).toMatch(new RegExp(`${v2.card.version}.*\\| retired \\|`));
    expect(registry).toMatch(new RegExp(`${v1.card.version}.*\\*\\*champion\\*\\*`));
    expect(await readdir(path.join(repo.dir, `models/flight-delay/${v2.card.version}`))).toContain('model.onnx');
    expect((await repo.git.status()).isClean()).toBe(true);
  });

  it('refuses on a dirty tree, a non-promotion commit, and a repository without promotions', async () => {
    await expect(rollback({ repoDir: repo.dir })).rejects.toThrow('nothing to roll back');
    await promoteTwo();
    await writeFile(path.join(repo.dir, MANIFEST_PATH), '{}\n');
    await expect(rollback({ repoDir: repo.dir })).rejects.toThrow(
      /refusing to roll back: the working tree is dirty[^]*manifests\/production\.json/,
    );
    await repo.git.raw(['checkout', '--', MANIFEST_PATH]);
    const initial = (await repo.git.raw(['rev-list', '--max-parents=0', 'HEAD'])).trim();
    await expect(rollback({ repoDir: repo.dir, commit: initial })).rejects.toThrow(`did not change ${MANIFEST_PATH}`);
    await expect(rollback({ repoDir: repo.dir, commit: 'nope' })).rejects.toThrow(
      '--commit nope is not a commit in this repository',
    );
  });
});

describe('status', () => {
  it('names champion (since which commit), previous and the history; and what ran at a past time', async () => {
    const { v1, v2, first, second } = await promoteTwo();
    const status = await deploymentStatus({ repoDir: repo.dir });
    expect(status.champion).toMatchObject({
      version: v2.card.version,
      since: { commit: second.commit, subject: `promote flight-delay ${v2.card.version}` },
    });
    expect(status.previous?.version).toBe(v1.card.version);
    expect(status.challenger).toBeNull();
    expect(status.uncommitted).toBe(false);
    expect(status.history.map((h) => [h.kind, h.champion])).toEqual([
      ['promotion', v2.card.version],
      ['promotion', v1.card.version],
    ]);
    await rollback({ repoDir: repo.dir });
    const afterRollback = await deploymentStatus({ repoDir: repo.dir });
    // v1 has been champion since its promotion, then again since the rollback.
    expect(afterRollback.champion?.since?.subject).toMatch(/^rollback flight-delay/);
    expect(afterRollback.history[0].kind).toBe('rollback');

    const firstDate = (await repo.git.raw(['log', '-1', '--format=%cI', first.commit])).trim();
    const past = await manifestAtTime({ repoDir: repo.dir, instant: firstDate });
    expect(past?.manifest?.champion.version).toBeDefined();
    expect(await manifestAtTime({ repoDir: repo.dir, instant: '1999-01-01T00:00:00Z' })).toBeNull();
  });
});
