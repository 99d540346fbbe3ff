/** Pull requests: list (by head branch), create, get, update (close, reopen, edit), merge. */
import { ApiError, validationFailed } from '../http/api-error.ts';
import type { ApiRequest, ApiRouter } from '../http/api-router.ts';
import { paginate } from '../http/api-router.ts';
import { pullRequest, pullRequestSimple } from '../present.ts';
import { fullView, listView, mergePull, pullHeads } from '../pull-requests.ts';
import { type PullRecord, timestamp } from '../store/records.ts';
import { pullRequestPayload } from '../webhooks.ts';

function findPull(request: ApiRequest): PullRecord {
  const number = Number(request.params.pull_number);
  const pr = request.repo.state.pulls.find((p) => p.number === number);
  if (!pr) throw new ApiError(404, 'Not Found');
  return pr;
}

/** `owner:branch` or `branch` → the branch, when the owner is this repository's. */
function branchOf(request: ApiRequest, head: string): string | undefined {
  const colon = head.indexOf(':');
  if (colon < 0) return head;
  return head.slice(0, colon).toLowerCase() === request.repo.owner.toLowerCase() ? head.slice(colon + 1) : undefined;
}

export function registerPullRoutes(router: ApiRouter): void {
  router.route('GET /repos/{owner}/{repo}/pulls', { permission: ['pull_requests', 'read'] }, async (request) => {
    const { repo, site, query } = request;
    const state = (query.state as string | undefined) ?? 'open';
    let pulls = repo.state.pulls.filter((p) => state === 'all' || p.state === state);
    if (query.head !== undefined) {
      const branch = branchOf(request, String(query.head));
      pulls = pulls.filter((p) => p.headRef === branch);
    }
    if (query.base !== undefined) pulls = pulls.filter((p) => p.baseRef === query.base);
    const sort = (query.sort as string | undefined) ?? 'created';
    const direction = (query.direction as string | undefined) ?? (sort === 'created' ? 'desc' : 'desc');
    const key = (p: PullRecord) =>
      (sort === 'updated' ? p.updatedAt : p.createdAt) + String(p.number).padStart(10, '0');
    pulls = [...pulls].sort((a, b) =>
      direction === 'asc' ? key(a).localeCompare(key(b)) : key(b).localeCompare(key(a)),
    );
    const page = paginate(request, pulls);
    const body = [];
    for (const pr of page.items) body.push(pullRequestSimple(site, repo, pr, await listView(repo, pr)));
    return { status: 200, body, headers: page.headers };
  });

  router.route('POST /repos/{owner}/{repo}/pulls', { permission: ['pull_requests', 'write'] }, async (request) => {
    const { repo, body, site, core, principal } = request;
    if (body.issue !== undefined) throw validationFailed({ resource: 'PullRequest', field: 'issue', code: 'invalid' });
    const head = body.head === undefined ? undefined : branchOf(request, String(body.head));
    const base = String(body.base);
    if (body.title === undefined)
      throw validationFailed({ resource: 'PullRequest', field: 'title', code: 'missing_field' });
    return repo.withLock(async () => {
      const headSha = head ? await repo.git.readRef(`refs/heads/${head}`) : undefined;
      const baseSha = await repo.git.readRef(`refs/heads/${base}`);
      const errors = [];
      if (!headSha) errors.push({ resource: 'PullRequest', field: 'head', code: 'invalid' });
      if (!baseSha) errors.push({ resource: 'PullRequest', field: 'base', code: 'invalid' });
      if (errors.length > 0) throw validationFailed(...errors);
      if (repo.state.pulls.some((p) => p.state === 'open' && p.headRef === head && p.baseRef === base)) {
        throw validationFailed({
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${head}.`,
        });
      }
      if ((await repo.git.commitsBetween(baseSha!, headSha!)).length === 0) {
        throw validationFailed({
          resource: 'PullRequest',
          code: 'custom',
          message: `No commits between ${base} and ${head}`,
        });
      }
      const now = timestamp();
      const number = repo.nextId('issue');
      const pr: PullRecord = {
        number,
        id: repo.state.id * 100_000 + number,
        title: String(body.title),
        body: (body.body as string | undefined) ?? null,
        state: 'open',
        draft: body.draft === true,
        headRef: head!,
        headSha: headSha!,
        baseRef: base,
        baseSha: baseSha!,
        user: principal?.actor ?? { login: 'anonymous', id: 0, type: 'User' },
        createdAt: now,
        updatedAt: now,
        closedAt: null,
        mergedAt: null,
        mergeCommitSha: null,
        mergedBy: null,
      };
      repo.state.pulls.push(pr);
      const live = await fullView(repo, pr);
      core.emit(
        repo,
        'pull_request',
        'pull-request-opened',
        pullRequestPayload(core, repo, 'opened', pr, live, principal),
        principal,
      );
      const json = pullRequest(site, repo, pr, live);
      return { status: 201, body: json, headers: { location: json.url } };
    });
  });

  router.route(
    'GET /repos/{owner}/{repo}/pulls/{pull_number}',
    { permission: ['pull_requests', 'read'] },
    async (request) => {
      const pr = findPull(request);
      return { status: 200, body: pullRequest(request.site, request.repo, pr, await fullView(request.repo, pr)) };
    },
  );

  router.route(
    'PATCH /repos/{owner}/{repo}/pulls/{pull_number}',
    { permission: ['pull_requests', 'write'] },
    async (request) => {
      const { repo, body, core, principal, site } = request;
      return repo.withLock(async () => {
        const pr = findPull(request);
        const changes: Record<string, { from: string }> = {};
        let action: 'closed' | 'reopened' | 'edited' | undefined;
        if (typeof body.title === 'string' && body.title !== pr.title) {
          changes.title = { from: pr.title };
          pr.title = body.title;
          action = 'edited';
        }
        if (typeof body.body === 'string' && body.body !== pr.body) {
          changes.body = { from: pr.body ?? '' };
          pr.body = body.body;
          action = 'edited';
        }
        if (typeof body.base === 'string' && body.base !== pr.baseRef) {
          if (!(await repo.git.readRef(`refs/heads/${body.base}`))) {
            throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
          }
          changes.base = { from: pr.baseRef };
          pr.baseRef = body.base;
          action = 'edited';
        }
        const now = timestamp();
        if (body.state === 'closed' && pr.state === 'open') {
          Object.assign(pr, await pullHeads(repo, pr), { state: 'closed', closedAt: now });
          action = 'closed';
        } else if (body.state === 'open' && pr.state === 'closed') {
          if (pr.mergedAt)
            throw validationFailed({
              resource: 'PullRequest',
              code: 'custom',
              message: 'Cannot reopen a merged pull request',
            });
          if (!(await repo.git.readRef(`refs/heads/${pr.headRef}`))) {
            throw validationFailed({
              resource: 'PullRequest',
              code: 'custom',
              message: `The ${pr.headRef} branch has been deleted.`,
            });
          }
          pr.state = 'open';
          pr.closedAt = null;
          action = 'reopened';
        }
        if (action) pr.updatedAt = now;
        const live = await fullView(repo, pr);
        if (action) {
          const extra = action === 'edited' ? { changes } : {};
          core.emit(
            repo,
            'pull_request',
            `pull-request-${action}`,
            pullRequestPayload(core, repo, action, pr, live, principal, extra),
            principal,
          );
        }
        return { status: 200, body: pullRequest(site, repo, pr, live) };
      });
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/pulls/{pull_number}/merge',
    { permission: ['pull_requests', 'read'] },
    async (request) => {
      const pr = findPull(request);
      if (!pr.mergedAt) throw new ApiError(404, 'Not Found');
      return { status: 204 };
    },
  );

  router.route(
    'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge',
    { permission: ['contents', 'write'] },
    async (request) => {
      const { repo, body, core, principal } = request;
      return repo.withLock(async () => {
        const pr = findPull(request);
        const result = await mergePull(
          core,
          repo,
          pr,
          {
            method: (body.merge_method as 'merge' | 'squash' | 'rebase' | undefined) ?? 'merge',
            sha: body.sha as string | undefined,
            commitTitle: body.commit_title as string | undefined,
            commitMessage: body.commit_message as string | undefined,
          },
          principal,
        );
        return { status: 200, body: result };
      });
    },
  );
}
