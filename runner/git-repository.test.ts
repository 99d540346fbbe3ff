import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRepository } from './git-repository.ts';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'taxiway-git-repository-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('gitRepository', () => {
  it('refreshes called at once (events handled together) all succeed and see the last push', async () => {
    const origin = path.join(root, 'origin');
    const git = simpleGit({ baseDir: root, config: ['user.name=t', 'user.email=t@t.invalid'] });
    await git.raw(['init', '--quiet', '--initial-branch=main', origin]);
    const work = simpleGit({ baseDir: origin, config: ['user.name=t', 'user.email=t@t.invalid'] });
    await work.raw(['commit', '--quiet', '--allow-empty', '-m', 'first']);
    const repository = await gitRepository({ url: origin, fullName: 'o/r', cacheDir: path.join(root, 'mirror') });
    for (let round = 0; round < 5; round++) {
      // Move main and add/remove a branch, so every fetch updates (and prunes) refs.
      await work.raw(['commit', '--quiet', '--allow-empty', '-m', `round ${round}`]);
      await work.raw(['branch', '--force', `topic-${round}`]);
      if (round > 0) await work.raw(['branch', '--delete', '--force', `topic-${round - 1}`]);
      const head = (await work.revparse(['HEAD'])).trim();
      await Promise.all(Array.from({ length: 6 }, () => repository.refresh()));
      expect(await repository.resolve('main')).toBe(head);
      expect(await repository.resolve(`topic-${round}`)).toBe(head);
    }
  });
});
