import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestEmulator, authenticatedUrl, git, gitAsync, startTestEmulator } from '../testing/emulator.ts';

describe('git over smart HTTP', () => {
  let t: TestEmulator;
  let cloneUrl: string;
  let work: string;

  beforeAll(async () => {
    t = await startTestEmulator({ protection: { requiredChecks: ['model-gate'] } });
    cloneUrl = t.emulator.repository(t.fullName).cloneUrl;
    work = path.join(t.dir, 'work');
    await gitAsync(t.dir, ['clone', '--quiet', authenticatedUrl(cloneUrl, t.emulator.adminToken), work]);
  });
  afterAll(async () => {
    t.assertNoViolations();
    await t.close();
  });

  async function commitAndPush(file: string, refspec: string) {
    writeFileSync(path.join(work, file), `${file}\n`);
    git(work, ['add', '-A']);
    git(work, ['commit', '--quiet', '-m', `add ${file}`]);
    return gitAsync(work, ['push', 'origin', refspec]);
  }

  it('clones with a token: the seeded files and history arrive', () => {
    expect(git(work, ['log', '--format=%s'])).toBe('seed');
    expect(git(work, ['ls-files'])).toContain('manifests/production.json');
  });

  it('pushes a branch with a token, records the push event and passes git fsck', async () => {
    const before = t.emulator.events.list().length;
    await commitAndPush('feature.txt', 'HEAD:refs/heads/feature');
    const head = git(work, ['rev-parse', 'HEAD']);
    expect((await t.forge.getRef('heads/feature'))?.sha).toBe(head);
    const push = t.emulator.events
      .list({ name: 'push' })
      .slice(before)
      .find((e) => e.payload.ref === 'refs/heads/feature');
    expect(push?.payload).toMatchObject({
      after: head,
      created: true,
      deleted: false,
      pusher: { name: 'taxiway-admin' },
    });
    expect((push!.payload.head_commit as { message: string }).message).toBe('add feature.txt\n');
    await expect(gitAsync(t.emulator.repository(t.fullName).path, ['fsck', '--strict'])).resolves.toBeDefined();
  });

  it('refuses a direct push to the protected branch like GitHub (GH006, hook declined)', async () => {
    const main = (await t.forge.getRef('heads/main'))!.sha;
    git(work, ['checkout', '--quiet', '-B', 'direct', 'origin/main']);
    const error = (await commitAndPush('direct.txt', 'HEAD:refs/heads/main').catch((e: unknown) => e)) as {
      stderr: string;
    };
    expect(error.stderr).toContain('remote: error: GH006: Protected branch update failed for refs/heads/main.');
    expect(error.stderr).toContain('remote: error: Required status check "model-gate" is expected.');
    expect(error.stderr).toMatch(/\[remote rejected\] HEAD -> main \(hook declined\)/);
    expect((await t.forge.getRef('heads/main'))!.sha).toBe(main);
  });

  it('lets a push through once the pushed commit has a green model-gate (GitHub checks the pushed sha)', async () => {
    const sha = git(work, ['rev-parse', 'HEAD']);
    // The commit must exist on the server to carry a status: push it to a branch first.
    await gitAsync(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/gated']);
    await t.forge.createCommitStatus(sha, { state: 'success', context: 'model-gate' });
    await gitAsync(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
    expect((await t.forge.getRef('heads/main'))!.sha).toBe(sha);
  });

  it('refuses a force-push and a deletion of a protected branch', async () => {
    git(work, ['reset', '--quiet', '--hard', 'HEAD~1']);
    const forced = (await gitAsync(work, ['push', '--force', 'origin', 'HEAD:refs/heads/main']).catch(
      (e: unknown) => e,
    )) as { stderr: string };
    expect(forced.stderr).toContain('Cannot force-push to this branch');
    // git itself refuses to delete the default branch (as GitHub does); protect another one.
    await gitAsync(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/release']);
    await t.emulator.protectBranch(t.fullName, { branch: 'release' });
    const deleted = (await gitAsync(work, ['push', 'origin', ':refs/heads/release']).catch((e: unknown) => e)) as {
      stderr: string;
    };
    expect(deleted.stderr).toContain('Cannot delete this branch');
    expect(await t.forge.getRef('heads/release')).toBeDefined();
  });

  it('asks for credentials without a token, refuses a bad token, and a read-only token cannot push', async () => {
    const anonymous = (await gitAsync(t.dir, ['ls-remote', cloneUrl]).catch((e: unknown) => e)) as { stderr: string };
    expect(anonymous.stderr).toMatch(/could not read Username|Authentication failed/);
    const bad = (await gitAsync(t.dir, ['ls-remote', authenticatedUrl(cloneUrl, 'ghp_wrong')]).catch(
      (e: unknown) => e,
    )) as { stderr: string };
    expect(bad.stderr).toMatch(/Authentication failed|Invalid username or token/);
    const reader = t.emulator.mintToken({ permissions: { contents: 'read' } });
    await expect(gitAsync(t.dir, ['ls-remote', authenticatedUrl(cloneUrl, reader.token)])).resolves.toBeDefined();
    git(work, ['remote', 'set-url', 'origin', authenticatedUrl(cloneUrl, reader.token)]);
    const refused = (await commitAndPush('reader.txt', 'HEAD:refs/heads/reader').catch((e: unknown) => e)) as {
      stderr: string;
    };
    expect(refused.stderr).toMatch(/403|denied/);
  });
});
