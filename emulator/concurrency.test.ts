import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestEmulator, authenticatedUrl, git, gitAsync, startTestEmulator } from '../testing/emulator.ts';

describe('concurrent writes keep the repository whole', () => {
  let t: TestEmulator;
  let work: string;

  beforeAll(async () => {
    t = await startTestEmulator();
    work = path.join(t.dir, 'work');
    await gitAsync(t.dir, [
      'clone',
      '--quiet',
      authenticatedUrl(t.emulator.repository(t.fullName).cloneUrl, t.emulator.adminToken),
      work,
    ]);
  });
  afterAll(async () => {
    await expect(
      gitAsync(t.emulator.repository(t.fullName).path, ['fsck', '--full', '--strict']),
    ).resolves.toBeDefined();
    t.assertNoViolations();
    await t.close();
  });

  const merge = (number: number) =>
    fetch(`${t.emulator.apiUrl}/repos/${t.fullName}/pulls/${number}/merge`, {
      method: 'PUT',
      headers: { authorization: `token ${t.emulator.adminToken}`, 'content-type': 'application/json' },
      body: '{}',
    });

  it('merges the same pull request once when eight merges race', async () => {
    await t.forge.commitFiles({ branch: 'race', message: 'race', files: { 'race.txt': '1\n' } });
    const pr = await t.forge.createPullRequest({ head: 'race', base: 'main', title: 'race' });
    const before = (await t.forge.getRef('heads/main'))!.sha;
    const answers = await Promise.all(Array.from({ length: 8 }, () => merge(pr.number)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 405, 405, 405, 405, 405, 405, 405]);
    const bodies = await Promise.all(answers.map((a) => a.json() as Promise<{ message: string; sha?: string }>));
    expect(bodies.filter((b) => b.message === 'Pull Request is not mergeable')).toHaveLength(7);
    const main = (await t.forge.getCommit('main'))!;
    expect(main.parents[0]).toBe(before);
    expect(t.emulator.events.list({ name: 'pull_request', action: 'closed' })).toHaveLength(1);
  });

  it('a push racing a merge: both land or one is refused cleanly, and no commit is lost', async () => {
    await t.forge.commitFiles({ branch: 'racer', message: 'racer', files: { 'racer.txt': '1\n' } });
    const pr = await t.forge.createPullRequest({ head: 'racer', base: 'main', title: 'racer' });
    await gitAsync(work, ['fetch', '--quiet', 'origin']);
    git(work, ['checkout', '--quiet', '-B', 'local', 'origin/main']);
    writeFileSync(path.join(work, 'pushed.txt'), 'pushed\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '--quiet', '-m', 'pushed directly']);
    const pushed = git(work, ['rev-parse', 'HEAD']);
    const [push, merged] = await Promise.all([
      gitAsync(work, ['push', 'origin', 'HEAD:refs/heads/main']).then(
        () => 'pushed',
        (error: { stderr: string }) => error.stderr,
      ),
      merge(pr.number),
    ]);
    expect(merged.status).toBe(200);
    const mergeSha = ((await merged.json()) as { sha: string }).sha;
    const history = (
      await gitAsync(t.emulator.repository(t.fullName).path, ['rev-list', 'refs/heads/main'])
    ).stdout.split('\n');
    expect(history).toContain(mergeSha);
    if (push === 'pushed') {
      // The push went first; the merge was made on top of it.
      expect(history).toContain(pushed);
    } else {
      // The merge went first; git refused the stale push as GitHub does (non-fast-forward).
      expect(push).toMatch(/rejected|fetch first|non-fast-forward/);
      expect(history).not.toContain(pushed);
    }
  });
});
