/**
 * Pull requests over real git: the live head and base, mergeability from a real three-way merge,
 * GitHub's merge (a merge commit with two parents), squash and rebase, branch protection on merge,
 * and the push / pull_request events every ref change causes.
 */
import { bypasses, combinedStatusOf, protectionOf, requiredChecksProblem } from './branch-protection.ts';
import type { EmulatorCore } from './core.ts';
import { ApiError, PROTECTED_BRANCHES_DOCS } from './http/api-error.ts';
import { type PullLive, noreplyEmail } from './present.ts';
import { type GitPerson, ZERO_SHA } from './store/git.ts';
import { type PullRecord, timestamp } from './store/records.ts';
import type { Repository } from './store/repository.ts';
import type { Principal } from './tokens.ts';
import { pullRequestPayload, pushPayload } from './webhooks.ts';

export interface RefUpdate {
  ref: string;
  before: string;
  after: string;
}

/** Head and base as GitHub shows them: followed live while open, frozen once closed. */
export async function pullHeads(repo: Repository, pr: PullRecord): Promise<{ headSha: string; baseSha: string }> {
  if (pr.state !== 'open') return { headSha: pr.headSha, baseSha: pr.baseSha };
  const [head, base] = await Promise.all([
    repo.git.readRef(`refs/heads/${pr.headRef}`),
    repo.git.readRef(`refs/heads/${pr.baseRef}`),
  ]);
  return { headSha: head ?? pr.headSha, baseSha: base ?? pr.baseSha };
}

/** The cheap view, for lists (no merge computed). */
export async function listView(repo: Repository, pr: PullRecord): Promise<PullLive> {
  const heads = await pullHeads(repo, pr);
  return { ...heads, mergeable: null, mergeableState: 'unknown', commits: 0, changedFiles: 0, comments: 0 };
}

/** The full view of one pull request: mergeability from a real merge, counts, mergeable_state. */
export async function fullView(repo: Repository, pr: PullRecord): Promise<PullLive> {
  const { headSha, baseSha } = await pullHeads(repo, pr);
  const comments = repo.state.comments.filter((c) => c.issueNumber === pr.number).length;
  const mergeBase = (await repo.git.mergeBase(baseSha, headSha)) ?? baseSha;
  const commits = (await repo.git.commitsBetween(mergeBase, headSha)).length;
  const files = await repo.git.changedFiles(mergeBase, headSha);
  const changedFiles = files.added.length + files.modified.length + files.removed.length;
  if (pr.state !== 'open') {
    return { headSha, baseSha, mergeable: null, mergeableState: 'unknown', commits, changedFiles, comments };
  }
  const merge = await repo.git.mergeTree(baseSha, headSha);
  let mergeableState = 'clean';
  if (!merge.clean) mergeableState = 'dirty';
  else if (pr.draft) mergeableState = 'draft';
  else {
    const protection = protectionOf(repo, pr.baseRef);
    if (protection && requiredChecksProblem(repo, protection, headSha)) mergeableState = 'blocked';
    else if (combinedStatusOf(repo, headSha).state === 'failure') mergeableState = 'unstable';
  }
  return { headSha, baseSha, mergeable: merge.clean, mergeableState, commits, changedFiles, comments };
}

function identity(principal: Principal | undefined, date: string): GitPerson {
  const actor = principal?.actor ?? { login: 'anonymous', id: 0 };
  return { name: actor.login, email: noreplyEmail(actor), date };
}

/** GitHub commits web merges as "GitHub <noreply@github.com>". */
function webCommitter(date: string): GitPerson {
  return { name: 'GitHub', email: 'noreply@github.com', date };
}

/** Push events for changed refs, and synchronize/closed events for the open pull requests they head. */
export async function afterRefUpdates(
  core: EmulatorCore,
  repo: Repository,
  updates: RefUpdate[],
  principal: Principal | undefined,
): Promise<void> {
  if (updates.length === 0) return;
  const now = timestamp();
  repo.state.pushedAt = now;
  for (const update of updates) {
    if (!update.ref.startsWith('refs/heads/') && !update.ref.startsWith('refs/tags/')) continue;
    core.emit(repo, 'push', 'push', await pushPayload(core, repo, update, principal), principal);
    if (!update.ref.startsWith('refs/heads/')) continue;
    const branch = update.ref.slice('refs/heads/'.length);
    for (const pr of repo.state.pulls.filter((p) => p.state === 'open' && p.headRef === branch)) {
      pr.updatedAt = now;
      if (update.after === ZERO_SHA) {
        // GitHub closes a pull request whose head branch is deleted.
        pr.state = 'closed';
        pr.closedAt = now;
        const live = await fullView(repo, pr);
        core.emit(
          repo,
          'pull_request',
          'pull-request-closed',
          pullRequestPayload(core, repo, 'closed', pr, live, principal),
          principal,
        );
      } else {
        pr.headSha = update.after;
        const live = await fullView(repo, pr);
        core.emit(
          repo,
          'pull_request',
          'pull-request-synchronize',
          pullRequestPayload(core, repo, 'synchronize', pr, live, principal, {
            before: update.before,
            after: update.after,
          }),
          principal,
        );
      }
    }
  }
}

export interface MergeRequest {
  method: 'merge' | 'squash' | 'rebase';
  sha?: string;
  commitTitle?: string;
  commitMessage?: string;
}

const NOT_MERGEABLE = 'Pull Request is not mergeable';

/** Merges like GitHub's merge button; call inside the repository's lock. */
export async function mergePull(
  core: EmulatorCore,
  repo: Repository,
  pr: PullRecord,
  request: MergeRequest,
  principal: Principal | undefined,
): Promise<{ sha: string; merged: true; message: string }> {
  if (pr.state !== 'open') throw new ApiError(405, NOT_MERGEABLE);
  const head = await repo.git.readRef(`refs/heads/${pr.headRef}`);
  const base = await repo.git.readRef(`refs/heads/${pr.baseRef}`);
  if (!head || !base) throw new ApiError(405, NOT_MERGEABLE);
  if (request.sha !== undefined && request.sha !== head) {
    throw new ApiError(409, 'Head branch was modified. Review and try the merge again.');
  }
  if (pr.draft) throw new ApiError(405, 'Pull Request is still a draft');
  const protection = protectionOf(repo, pr.baseRef);
  if (protection && !bypasses(protection, principal)) {
    const checks = requiredChecksProblem(repo, protection, head);
    if (checks) throw new ApiError(405, checks, { documentationUrl: PROTECTED_BRANCHES_DOCS });
    const reviews = protection.requiredPullRequestReviews?.requiredApprovingReviewCount ?? 0;
    if (reviews > 0) {
      throw new ApiError(
        405,
        `At least ${reviews} approving review${reviews > 1 ? 's are' : ' is'} required by reviewers with write access.`,
        {
          documentationUrl: PROTECTED_BRANCHES_DOCS,
        },
      );
    }
    if (protection.requiredStatusChecks?.strict && !(await repo.git.isAncestor(base, head))) {
      throw new ApiError(405, 'Head branch is not up to date with the base branch.', {
        documentationUrl: PROTECTED_BRANCHES_DOCS,
      });
    }
    if (protection.requiredLinearHistory && request.method === 'merge') {
      throw new ApiError(405, 'Merge commits are not allowed on this repository.', {
        documentationUrl: PROTECTED_BRANCHES_DOCS,
      });
    }
  }
  const now = timestamp();
  let sha: string;
  if (request.method === 'rebase') {
    sha = base;
    for (const commitSha of await repo.git.commitsBetween(base, head)) {
      const original = await repo.git.readCommit(commitSha);
      if (original.parents.length > 1) throw new ApiError(405, "This branch can't be rebased");
      const picked = await repo.git.mergeTree(sha, commitSha, original.parents[0]);
      if (!picked.clean) throw new ApiError(405, "This branch can't be rebased");
      sha = await repo.git.commitTree({
        tree: picked.tree,
        parents: [sha],
        message: original.message,
        author: original.author,
        committer: webCommitter(now),
      });
    }
  } else {
    const merged = await repo.git.mergeTree(base, head);
    if (!merged.clean) throw new ApiError(405, NOT_MERGEABLE);
    const squash = request.method === 'squash';
    let title = request.commitTitle;
    let body = request.commitMessage;
    if (squash) {
      title ??= `${pr.title} (#${pr.number})`;
      if (body === undefined) {
        const messages = [];
        for (const c of await repo.git.commitsBetween(base, head))
          messages.push(`* ${(await repo.git.readCommit(c)).message.trim()}`);
        body = messages.join('\n\n');
      }
    } else {
      title ??= `Merge pull request #${pr.number} from ${repo.owner}/${pr.headRef}`;
      body ??= pr.title;
    }
    sha = await repo.git.commitTree({
      tree: merged.tree,
      parents: squash ? [base] : [base, head],
      message: body ? `${title}\n\n${body}\n` : `${title}\n`,
      author: identity(principal, now),
      committer: webCommitter(now),
    });
  }
  if (!(await repo.git.compareAndSwapRef(`refs/heads/${pr.baseRef}`, sha, base))) {
    throw new ApiError(409, 'Base branch was modified. Review and try the merge again.');
  }
  Object.assign(pr, {
    state: 'closed',
    headSha: head,
    baseSha: base,
    mergedAt: now,
    closedAt: now,
    updatedAt: now,
    mergeCommitSha: sha,
    mergedBy: principal?.actor ?? null,
  } satisfies Partial<PullRecord>);
  await afterRefUpdates(core, repo, [{ ref: `refs/heads/${pr.baseRef}`, before: base, after: sha }], principal);
  const live = await fullView(repo, pr);
  core.emit(
    repo,
    'pull_request',
    'pull-request-closed',
    pullRequestPayload(core, repo, 'closed', pr, live, principal),
    principal,
  );
  return { sha, merged: true, message: 'Pull Request successfully merged' };
}
