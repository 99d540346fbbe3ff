/**
 * The Forge contract, written once and run against every implementation (see
 * `octokit-forge.test.ts`). The repository under test starts with one commit on `main` holding
 * `README.md`, `manifests/production.json` and a `.github/workflows/train.yml` with a
 * `workflow_dispatch` trigger (inputs `reason`, required with a default, and `as-of`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT, commentMarker, upsertMarkedComment } from './comments.ts';
import { ConflictError, NotFoundError, ProtectedBranchError, ValidationError } from './errors.ts';
import type { Forge } from './forge.ts';

export interface ForgeHarness {
  forge: Forge;
  /** Require `contexts` to be green before merging into `branch` (branch protection). */
  protect(branch: string, contexts: string[]): Promise<void>;
  close(): Promise<void>;
}

export function runForgeContract(name: string, setup: () => Promise<ForgeHarness>): void {
  describe(`Forge contract: ${name}`, () => {
    let harness: ForgeHarness;
    let forge: Forge;
    let unique = 0;
    const branch = (label: string) => `${label}-${++unique}`;

    /** A branch off main with one commit changing `files`; returns its head sha. */
    async function branchWith(label: string, files: Record<string, string | null>) {
      const name = branch(label);
      const commit = await forge.commitFiles({ branch: name, message: `${label}: change`, files });
      return { name, sha: commit.sha };
    }

    beforeAll(async () => {
      harness = await setup();
      forge = harness.forge;
    });
    afterAll(async () => {
      await harness?.close();
    });

    describe('repository and refs', () => {
      it('reads the repository and its default branch', async () => {
        const repository = await forge.getRepository();
        expect(repository).toMatchObject({ owner: forge.owner, repo: forge.repo, defaultBranch: 'main' });
        expect(repository.cloneUrl).toMatch(/\.git$/);
      });

      it('reads a ref, and answers undefined for a missing one', async () => {
        const main = await forge.getRef('heads/main');
        expect(main).toMatchObject({ ref: 'refs/heads/main' });
        expect(main!.sha).toMatch(/^[0-9a-f]{40}$/);
        expect(await forge.getRef('heads/no-such-branch')).toBeUndefined();
      });

      it('creates, fast-forwards, refuses a non-fast-forward, forces and deletes a ref', async () => {
        const main = (await forge.getRef('heads/main'))!;
        const ahead = await branchWith('ahead', { 'ahead.txt': 'x\n' });
        const ref = `heads/${branch('refs')}`;
        expect(await forge.createRef(ref, main.sha)).toEqual({ ref: `refs/${ref}`, sha: main.sha });
        await expect(forge.createRef(ref, main.sha)).rejects.toBeInstanceOf(ValidationError);
        expect((await forge.updateRef(ref, ahead.sha)).sha).toBe(ahead.sha);
        const error = await forge.updateRef(ref, main.sha).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).githubMessage).toBe('Update is not a fast forward');
        expect((await forge.updateRef(ref, main.sha, { force: true })).sha).toBe(main.sha);
        await forge.deleteRef(ref);
        expect(await forge.getRef(ref)).toBeUndefined();
        await expect(forge.deleteRef(ref)).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('commits and files', () => {
      it('commits several files (text, binary, deletion) in one commit on a new branch', async () => {
        const main = (await forge.getRef('heads/main'))!;
        const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
        const name = branch('files');
        const commit = await forge.commitFiles({
          branch: name,
          message: 'add a model',
          files: { 'models/v1/model.onnx': bytes, 'models/v1/card.json': '{"version":"v1"}\n', 'README.md': null },
        });
        expect(commit.parents).toEqual([main.sha]);
        expect(commit.message).toBe('add a model');
        expect((await forge.getRef(`heads/${name}`))!.sha).toBe(commit.sha);
        expect((await forge.getFile('models/v1/model.onnx', name))!.content).toEqual(Buffer.from(bytes));
        expect((await forge.getFile('models/v1/card.json', name))!.content.toString()).toBe('{"version":"v1"}\n');
        expect(await forge.getFile('README.md', name)).toBeUndefined();
        expect(await forge.getFile('README.md')).toBeDefined();
        expect((await forge.getCommit(name)).sha).toBe(commit.sha);
      });

      it('stacks a second commit on the branch head', async () => {
        const first = await branchWith('stack', { 'a.txt': '1\n' });
        const second = await forge.commitFiles({ branch: first.name, message: 'second', files: { 'a.txt': '2\n' } });
        expect(second.parents).toEqual([first.sha]);
        expect((await forge.getFile('a.txt', first.name))!.content.toString()).toBe('2\n');
      });

      it('names the missing commit', async () => {
        const error = await forge.getCommit('no-such-ref').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain('no-such-ref');
      });
    });

    describe('pull requests', () => {
      it('opens, finds by head branch, edits and closes a pull request', async () => {
        const head = await branchWith('promote', { 'manifests/production.json': '{"champion":"v2"}\n' });
        const pr = await forge.createPullRequest({
          head: head.name,
          base: 'main',
          title: 'Promote v2',
          body: 'evidence',
        });
        expect(pr).toMatchObject({ state: 'open', merged: false, title: 'Promote v2', body: 'evidence' });
        expect(pr.head).toEqual({ ref: head.name, sha: head.sha });
        expect((await forge.getPullRequest(pr.number)).mergeable).toBe(true);
        const found = await forge.listPullRequests({ head: head.name });
        expect(found.map((p) => p.number)).toEqual([pr.number]);
        expect(await forge.listPullRequests({ head: 'no-such-branch' })).toEqual([]);
        const duplicate = await forge
          .createPullRequest({ head: head.name, base: 'main', title: 'again' })
          .catch((e: unknown) => e);
        expect(duplicate).toBeInstanceOf(ValidationError);
        expect((duplicate as ValidationError).errors[0]!.message).toContain('A pull request already exists');
        expect((await forge.updatePullRequest(pr.number, { body: 'new evidence' })).body).toBe('new evidence');
        const closed = await forge.closePullRequest(pr.number);
        expect(closed).toMatchObject({ state: 'closed', merged: false });
        expect(await forge.listPullRequests({ head: head.name })).toEqual([]);
        expect((await forge.listPullRequests({ head: head.name, state: 'all' })).length).toBe(1);
      });

      it('follows the head branch as it moves', async () => {
        const head = await branchWith('moving', { 'm.txt': '1\n' });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'moving' });
        const next = await forge.commitFiles({ branch: head.name, message: 'more', files: { 'm.txt': '2\n' } });
        expect((await forge.getPullRequest(pr.number)).head.sha).toBe(next.sha);
        await forge.closePullRequest(pr.number);
      });

      it('merges with a real merge commit (base and head as parents)', async () => {
        const head = await branchWith('merge', { 'merged.txt': 'merged\n' });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'Merge me' });
        const base = (await forge.getRef('heads/main'))!.sha;
        const result = await forge.mergePullRequest(pr.number, { sha: head.sha });
        expect(result.merged).toBe(true);
        const commit = await forge.getCommit(result.sha);
        expect(commit.parents).toEqual([base, head.sha]);
        expect(commit.message).toContain(`Merge pull request #${pr.number}`);
        expect((await forge.getRef('heads/main'))!.sha).toBe(result.sha);
        expect((await forge.getFile('merged.txt'))!.content.toString()).toBe('merged\n');
        const merged = await forge.getPullRequest(pr.number);
        expect(merged).toMatchObject({ state: 'closed', merged: true, mergeCommitSha: result.sha });
        await expect(forge.mergePullRequest(pr.number)).rejects.toBeInstanceOf(ConflictError);
      });

      it('squashes into one commit with one parent', async () => {
        const head = await branchWith('squash', { 's1.txt': '1\n' });
        await forge.commitFiles({ branch: head.name, message: 'second', files: { 's2.txt': '2\n' } });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'Squash me' });
        const base = (await forge.getRef('heads/main'))!.sha;
        const result = await forge.mergePullRequest(pr.number, { method: 'squash' });
        const commit = await forge.getCommit(result.sha);
        expect(commit.parents).toEqual([base]);
        expect(commit.message.split('\n')[0]).toBe(`Squash me (#${pr.number})`);
        expect((await forge.getFile('s2.txt'))!.content.toString()).toBe('2\n');
      });

      it('refuses a merge whose head moved since the given sha (409)', async () => {
        const head = await branchWith('stale', { 'stale.txt': '1\n' });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'stale' });
        await forge.commitFiles({ branch: head.name, message: 'moved', files: { 'stale.txt': '2\n' } });
        const error = await forge.mergePullRequest(pr.number, { sha: head.sha }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).status).toBe(409);
        await forge.closePullRequest(pr.number);
      });

      it('refuses a conflicting merge (405 not mergeable) and leaves main alone', async () => {
        const one = await branchWith('conflict-a', { 'conflict.txt': 'a\n' });
        const two = await branchWith('conflict-b', { 'conflict.txt': 'b\n' });
        const first = await forge.createPullRequest({ head: one.name, base: 'main', title: 'a' });
        const second = await forge.createPullRequest({ head: two.name, base: 'main', title: 'b' });
        await forge.mergePullRequest(first.number);
        const main = (await forge.getRef('heads/main'))!.sha;
        expect((await forge.getPullRequest(second.number)).mergeable).toBe(false);
        const error = await forge.mergePullRequest(second.number).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).status).toBe(405);
        expect((error as ConflictError).githubMessage).toBe('Pull Request is not mergeable');
        expect((await forge.getRef('heads/main'))!.sha).toBe(main);
      });

      it('names the missing pull request', async () => {
        const error = await forge.getPullRequest(99_999).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).message).toContain('pull request #99999');
      });
    });

    describe('branch protection on merge', () => {
      it('refuses a merge without a green model-gate with GitHub’s status and message, then allows it', async () => {
        await harness.protect('main', ['model-gate']);
        const head = await branchWith('gated', { 'gated.txt': 'x\n' });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'gated' });
        const missing = await forge.mergePullRequest(pr.number).catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(ProtectedBranchError);
        expect((missing as ProtectedBranchError).status).toBe(405);
        expect((missing as ProtectedBranchError).githubMessage).toBe('Required status check "model-gate" is expected.');
        await forge.createCommitStatus(head.sha, {
          state: 'failure',
          context: 'model-gate',
          description: 'AUC regressed',
        });
        const failing = await forge.mergePullRequest(pr.number).catch((e: unknown) => e);
        expect((failing as ProtectedBranchError).githubMessage).toBe('Required status check "model-gate" is failing.');
        await forge.createCommitStatus(head.sha, {
          state: 'success',
          context: 'model-gate',
          description: 'all checks passed',
        });
        expect((await forge.mergePullRequest(pr.number)).merged).toBe(true);
      });
    });

    describe('comments', () => {
      it('keeps one marked comment per key, updated in place', async () => {
        const head = await branchWith('comments', { 'c.txt': '1\n' });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'comments' });
        const first = await upsertMarkedComment(forge, pr.number, 'gate-report', 'first report');
        expect(first.created).toBe(true);
        await forge.createIssueComment(pr.number, 'a person writes');
        const second = await upsertMarkedComment(forge, pr.number, 'gate-report', 'second report');
        expect(second).toMatchObject({ created: false, comment: { id: first.comment.id } });
        const comments = await forge.listIssueComments(pr.number);
        expect(comments.filter((c) => c.body.startsWith(commentMarker('gate-report')))).toHaveLength(1);
        expect(comments.map((c) => c.body)).toEqual([
          `${commentMarker('gate-report')}\nsecond report`,
          'a person writes',
        ]);
      });

      it('cuts an over-long report to what GitHub accepts, and GitHub refuses longer bodies', async () => {
        const head = await branchWith('long', { 'l.txt': '1\n' });
        const pr = await forge.createPullRequest({ head: head.name, base: 'main', title: 'long' });
        const report = Array.from({ length: 4000 }, (_, i) => `| check ${i} | passed |`).join('\n');
        const { comment } = await upsertMarkedComment(forge, pr.number, 'gate-report', report, {
          fullText: { label: 'models/v9/gate-report.md' },
        });
        expect(comment.body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
        expect(comment.body).toContain('`models/v9/gate-report.md`');
        const refused = await forge
          .createIssueComment(pr.number, 'x'.repeat(GITHUB_COMMENT_LIMIT + 1))
          .catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ValidationError);
        expect((refused as ValidationError).errors[0]).toMatchObject({ field: 'body', code: 'custom' });
      });
    });

    describe('commit statuses', () => {
      it('combines the latest status of each context like GitHub', async () => {
        const head = await branchWith('statuses', { 's.txt': '1\n' });
        expect(await forge.getCombinedStatus(head.sha)).toEqual({ state: 'pending', sha: head.sha, statuses: [] });
        await forge.createCommitStatus(head.sha, { state: 'pending', context: 'model-gate' });
        await forge.createCommitStatus(head.sha, {
          state: 'success',
          context: 'model-gate',
          targetUrl: 'https://example.test/run/1',
        });
        await forge.createCommitStatus(head.sha, { state: 'success', context: 'ci' });
        const green = await forge.getCombinedStatus(head.name);
        expect(green.state).toBe('success');
        expect(green.statuses.map((s) => [s.context, s.state]).sort()).toEqual([
          ['ci', 'success'],
          ['model-gate', 'success'],
        ]);
        await forge.createCommitStatus(head.sha, { state: 'error', context: 'ci' });
        expect((await forge.getCombinedStatus(head.sha)).state).toBe('failure');
      });
    });

    describe('deployments', () => {
      it('records a deployment with its payload and statuses, newest first', async () => {
        const main = (await forge.getRef('heads/main'))!;
        const deployment = await forge.createDeployment({
          ref: 'main',
          environment: 'production',
          payload: { champion: { version: 'v2', sha256: 'ab'.repeat(32) } },
          description: 'deploy v2',
          requiredContexts: [],
        });
        expect(deployment).toMatchObject({
          sha: main.sha,
          ref: 'main',
          environment: 'production',
          description: 'deploy v2',
        });
        expect(deployment.payload).toEqual({ champion: { version: 'v2', sha256: 'ab'.repeat(32) } });
        await forge.createDeploymentStatus(deployment.id, {
          state: 'in_progress',
          logUrl: 'https://example.test/run/2',
        });
        await forge.createDeploymentStatus(deployment.id, {
          state: 'success',
          logUrl: 'https://example.test/run/2',
          environmentUrl: 'https://example.test/v1/model',
        });
        const statuses = await forge.listDeploymentStatuses(deployment.id);
        expect(statuses.map((s) => s.state)).toEqual(['success', 'in_progress']);
        expect(statuses[0]).toMatchObject({
          environmentUrl: 'https://example.test/v1/model',
          logUrl: 'https://example.test/run/2',
        });
        expect((await forge.listDeployments({ environment: 'production' }))[0]!.id).toBe(deployment.id);
      });

      it('refuses to deploy a ref whose statuses are not green, by default (409)', async () => {
        const head = await branchWith('red', { 'r.txt': '1\n' });
        await forge.createCommitStatus(head.sha, { state: 'failure', context: 'model-gate' });
        const error = await forge
          .createDeployment({ ref: head.name, environment: 'staging', autoMerge: false })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).status).toBe(409);
      });
    });

    describe('workflows', () => {
      it('dispatches a workflow with inputs and reads its run', async () => {
        await forge.dispatchWorkflow('train.yml', 'main', { reason: 'drift alert', 'as-of': '2001-06-01' });
        const runs = await forge.listWorkflowRuns({ workflow: 'train.yml', event: 'workflow_dispatch' });
        expect(runs.length).toBeGreaterThan(0);
        const run = runs[0]!;
        expect(run).toMatchObject({
          path: '.github/workflows/train.yml',
          event: 'workflow_dispatch',
          headBranch: 'main',
        });
        expect((await forge.getWorkflowRun(run.id)).id).toBe(run.id);
        expect(await forge.getWorkflowRunLogsUrl(run.id)).toMatch(/^https?:\/\//);
      });

      it('refuses unexpected inputs and unknown workflows', async () => {
        const unexpected = await forge.dispatchWorkflow('train.yml', 'main', { nope: '1' }).catch((e: unknown) => e);
        expect(unexpected).toBeInstanceOf(ValidationError);
        expect((unexpected as ValidationError).githubMessage).toBe('Unexpected inputs provided: ["nope"]');
        await expect(forge.dispatchWorkflow('missing.yml', 'main')).rejects.toBeInstanceOf(NotFoundError);
        await expect(forge.getWorkflowRun(123)).rejects.toBeInstanceOf(NotFoundError);
      });
    });
  });
}
