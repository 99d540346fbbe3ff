/** Commit statuses: create, list for a ref, and the combined status. */
import { combinedStatusOf } from '../branch-protection.ts';
import { ApiError, validationFailed } from '../http/api-error.ts';
import { type ApiRouter, paginate } from '../http/api-router.ts';
import { repoApi, repository, status } from '../present.ts';
import { type StatusRecord, timestamp } from '../store/records.ts';
import { resolveRef } from './commits-contents.ts';

/** GitHub keeps at most this many statuses per sha and context. */
const STATUSES_PER_CONTEXT = 1000;

export function registerStatusRoutes(router: ApiRouter): void {
  router.route('POST /repos/{owner}/{repo}/statuses/{sha}', { permission: ['statuses', 'write'] }, async (request) => {
    const { repo, body, principal, site } = request;
    const sha = await repo.git.resolveCommit(request.params.sha!);
    if (!sha || sha !== request.params.sha) throw new ApiError(422, `No commit found for SHA: ${request.params.sha}`);
    return repo.withLock(async () => {
      const context = (body.context as string | undefined) ?? 'default';
      if (repo.state.statuses.filter((s) => s.sha === sha && s.context === context).length >= STATUSES_PER_CONTEXT) {
        throw validationFailed({
          resource: 'Status',
          code: 'custom',
          message: 'This SHA and context has reached the maximum number of statuses.',
        });
      }
      const now = timestamp();
      const record: StatusRecord = {
        id: repo.nextId('status'),
        sha,
        state: body.state as StatusRecord['state'],
        context,
        description: (body.description as string | null | undefined) ?? null,
        targetUrl: (body.target_url as string | null | undefined) ?? null,
        creator: principal?.actor ?? { login: 'anonymous', id: 0, type: 'User' },
        createdAt: now,
        updatedAt: now,
      };
      repo.state.statuses.push(record);
      const json = status(site, repo, record);
      return { status: 201, body: json, headers: { location: json.url } };
    });
  });

  router.route(
    'GET /repos/{owner}/{repo}/commits/{ref}/statuses',
    { permission: ['statuses', 'read'] },
    async (request) => {
      const sha = await resolveRef(request.repo, request.params.ref!);
      if (!sha) throw new ApiError(404, 'Not Found');
      const all = request.repo.state.statuses.filter((s) => s.sha === sha).sort((a, b) => b.id - a.id);
      const page = paginate(request, all);
      return { status: 200, body: page.items.map((s) => status(request.site, request.repo, s)), headers: page.headers };
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/commits/{ref}/status',
    { permission: ['statuses', 'read'] },
    async (request) => {
      const { repo, site } = request;
      const sha = await resolveRef(repo, request.params.ref!);
      if (!sha) throw new ApiError(404, 'Not Found');
      const combined = combinedStatusOf(repo, sha);
      const page = paginate(request, combined.statuses);
      return {
        status: 200,
        headers: page.headers,
        body: {
          state: combined.state,
          statuses: page.items.map((s) => status(site, repo, s, false)),
          sha,
          total_count: combined.statuses.length,
          repository: repository(site, repo),
          commit_url: `${repoApi(site, repo)}/commits/${sha}`,
          url: `${repoApi(site, repo)}/commits/${sha}/status`,
        },
      };
    },
  );
}
