/** Webhook payloads in GitHub's shapes (validated against the webhook description when recorded). */
import type { EmulatorCore } from './core.ts';
import { type PullLive, noreplyEmail, pullRequest, repository, user } from './present.ts';
import { type GitCommitObject, ZERO_SHA } from './store/git.ts';
import type { PullRecord } from './store/records.ts';
import type { Repository } from './store/repository.ts';
import type { Principal } from './tokens.ts';

const ANONYMOUS = { login: 'anonymous', id: 0, type: 'User' as const };

function sender(core: EmulatorCore, principal: Principal | undefined) {
  return user(core.site, principal?.actor ?? ANONYMOUS);
}

/** The repository as webhooks carry it: push events give `created_at`/`pushed_at` as Unix seconds. */
function webhookRepository(core: EmulatorCore, repo: Repository, unixTimes: boolean) {
  const json = { ...repository(core.site, repo), custom_properties: {} } as Record<string, unknown>;
  if (unixTimes) {
    json.created_at = Math.floor(Date.parse(repo.state.createdAt) / 1000);
    json.pushed_at = Math.floor(Date.parse(repo.state.pushedAt) / 1000);
    json.stargazers = 0;
    json.master_branch = repo.state.defaultBranch;
    json.organization = repo.owner;
  }
  return json;
}

function pushCommit(
  core: EmulatorCore,
  repo: Repository,
  c: GitCommitObject,
  files: { added: string[]; modified: string[]; removed: string[] },
) {
  return {
    id: c.sha,
    tree_id: c.tree,
    distinct: true,
    message: c.message,
    timestamp: c.committer.date,
    url: `${core.site.web}/${repo.fullName}/commit/${c.sha}`,
    author: { name: c.author.name, email: c.author.email },
    committer: { name: c.committer.name, email: c.committer.email },
    added: files.added,
    removed: files.removed,
    modified: files.modified,
  };
}

/** The `push` payload for one ref update; `commits` are the new commits (at most 2048, like GitHub). */
export async function pushPayload(
  core: EmulatorCore,
  repo: Repository,
  update: { ref: string; before: string; after: string },
  principal: Principal | undefined,
) {
  const created = update.before === ZERO_SHA;
  const deleted = update.after === ZERO_SHA;
  let commits: ReturnType<typeof pushCommit>[] = [];
  let head: ReturnType<typeof pushCommit> | null = null;
  let forced = false;
  if (!deleted) {
    const emptyTree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    let shas: string[];
    if (created) {
      // A new branch: the commits not on any other branch (GitHub lists those).
      const others = (await repo.git.listRefs('refs/heads/'))
        .filter((r) => r.ref !== update.ref)
        .map((r) => `^${r.sha}`);
      const out = await repo.git.text(['rev-list', '--reverse', '--topo-order', update.after, ...others]);
      shas = out.split('\n').filter(Boolean);
    } else {
      forced = !(await repo.git.isAncestor(update.before, update.after).catch(() => false));
      shas = await repo.git.commitsBetween(update.before, update.after).catch(() => []);
    }
    for (const sha of shas.slice(-2048)) {
      const c = await repo.git.readCommit(sha);
      const files = await repo.git.changedFiles(c.parents[0] ?? emptyTree, sha);
      commits.push(pushCommit(core, repo, c, files));
    }
    const headCommit = await repo.git.readCommit(update.after);
    head =
      commits.find((c) => c.id === update.after) ??
      pushCommit(core, repo, headCommit, await repo.git.changedFiles(headCommit.parents[0] ?? emptyTree, update.after));
    commits = commits.slice(-20);
  }
  const pusher = principal?.actor ?? ANONYMOUS;
  return {
    ref: update.ref,
    before: update.before,
    after: update.after,
    created,
    deleted,
    forced,
    base_ref: null,
    compare: `${core.site.web}/${repo.fullName}/compare/${update.before.slice(0, 12)}...${update.after.slice(0, 12)}`,
    commits,
    head_commit: head,
    repository: webhookRepository(core, repo, true),
    pusher: { name: pusher.login, email: noreplyEmail(pusher) },
    sender: sender(core, principal),
  };
}

export function pullRequestPayload(
  core: EmulatorCore,
  repo: Repository,
  action: 'opened' | 'synchronize' | 'closed' | 'reopened' | 'edited',
  pr: PullRecord,
  live: PullLive,
  principal: Principal | undefined,
  extra: Record<string, unknown> = {},
) {
  return {
    action,
    number: pr.number,
    ...extra,
    pull_request: pullRequest(core.site, repo, pr, live),
    repository: webhookRepository(core, repo, false),
    sender: sender(core, principal),
  };
}

export function workflowDispatchPayload(
  core: EmulatorCore,
  repo: Repository,
  workflowPath: string,
  ref: string,
  inputs: Record<string, unknown> | null,
  principal: Principal | undefined,
) {
  return {
    inputs,
    ref,
    repository: webhookRepository(core, repo, false),
    sender: sender(core, principal),
    workflow: workflowPath,
  };
}
