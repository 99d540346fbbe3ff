/** Issue comments (on pull requests, which are issues on GitHub): list, create, get, update. */
import { ApiError, validationFailed } from '../http/api-error.ts';
import { type ApiRequest, type ApiRouter, paginate } from '../http/api-router.ts';
import { issueComment } from '../present.ts';
import { type CommentRecord, timestamp } from '../store/records.ts';

/** GitHub refuses longer comment bodies. */
export const COMMENT_LIMIT = 65_536;

function checkBody(body: string): void {
  if (body.length > COMMENT_LIMIT) {
    throw validationFailed({
      resource: 'IssueComment',
      code: 'custom',
      field: 'body',
      message: `body is too long (maximum is ${COMMENT_LIMIT} characters)`,
    });
  }
}

function findComment(request: ApiRequest): CommentRecord {
  const id = Number(request.params.comment_id);
  const comment = request.repo.state.comments.find((c) => c.id === id);
  if (!comment) throw new ApiError(404, 'Not Found');
  return comment;
}

export function registerIssueCommentRoutes(router: ApiRouter): void {
  router.route(
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    { permission: ['issues', 'read', 'pull_requests'] },
    async (request) => {
      const number = Number(request.params.issue_number);
      if (!request.repo.state.pulls.some((p) => p.number === number)) throw new ApiError(404, 'Not Found');
      let comments = request.repo.state.comments.filter((c) => c.issueNumber === number);
      if (typeof request.query.since === 'string')
        comments = comments.filter((c) => c.updatedAt >= String(request.query.since));
      const page = paginate(request, comments);
      return {
        status: 200,
        body: page.items.map((c) => issueComment(request.site, request.repo, c)),
        headers: page.headers,
      };
    },
  );

  router.route(
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    { permission: ['issues', 'write', 'pull_requests'] },
    async (request) => {
      const { repo, principal, site } = request;
      const number = Number(request.params.issue_number);
      const body = String(request.body.body);
      checkBody(body);
      return repo.withLock(async () => {
        const pr = repo.state.pulls.find((p) => p.number === number);
        if (!pr) throw new ApiError(404, 'Not Found');
        const now = timestamp();
        const comment: CommentRecord = {
          id: repo.nextId('comment'),
          issueNumber: number,
          body,
          user: principal?.actor ?? { login: 'anonymous', id: 0, type: 'User' },
          createdAt: now,
          updatedAt: now,
        };
        repo.state.comments.push(comment);
        pr.updatedAt = now;
        const json = issueComment(site, repo, comment);
        return { status: 201, body: json, headers: { location: json.url } };
      });
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/issues/comments/{comment_id}',
    { permission: ['issues', 'read', 'pull_requests'] },
    async (request) => ({ status: 200, body: issueComment(request.site, request.repo, findComment(request)) }),
  );

  router.route(
    'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
    { permission: ['issues', 'write', 'pull_requests'] },
    async (request) => {
      const body = String(request.body.body);
      checkBody(body);
      return request.repo.withLock(async () => {
        const comment = findComment(request);
        comment.body = body;
        comment.updatedAt = timestamp();
        return { status: 200, body: issueComment(request.site, request.repo, comment) };
      });
    },
  );
}
