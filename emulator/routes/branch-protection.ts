/** Branch protection through GitHub's own endpoint: GET, PUT, DELETE /branches/{branch}/protection. */
import { protectionOf } from '../branch-protection.ts';
import { ApiError } from '../http/api-error.ts';
import type { ApiRouter } from '../http/api-router.ts';
import { protection } from '../present.ts';
import type { ProtectionRecord } from '../store/records.ts';

/** A protection record from the PUT body (GitHub's field names). */
export function protectionFromBody(branch: string, body: Record<string, unknown>): ProtectionRecord {
  const checks = body.required_status_checks as {
    strict?: boolean;
    contexts?: string[];
    checks?: { context: string }[];
  } | null;
  const reviews = body.required_pull_request_reviews as {
    required_approving_review_count?: number;
    dismiss_stale_reviews?: boolean;
  } | null;
  const contexts = checks
    ? [...new Set([...(checks.contexts ?? []), ...(checks.checks ?? []).map((c) => c.context)])]
    : [];
  return {
    branch,
    requiredStatusChecks: checks ? { strict: checks.strict ?? false, contexts } : null,
    enforceAdmins: body.enforce_admins === true,
    requiredPullRequestReviews: reviews
      ? {
          requiredApprovingReviewCount: reviews.required_approving_review_count ?? 1,
          dismissStaleReviews: reviews.dismiss_stale_reviews ?? false,
        }
      : null,
    requiredLinearHistory: body.required_linear_history === true,
    allowForcePushes: body.allow_force_pushes === true,
    allowDeletions: body.allow_deletions === true,
  };
}

export function registerBranchProtectionRoutes(router: ApiRouter): void {
  router.route(
    'GET /repos/{owner}/{repo}/branches/{branch}/protection',
    { permission: ['administration', 'read'] },
    async ({ repo, site, params }) => {
      if (!(await repo.git.readRef(`refs/heads/${params.branch}`))) throw new ApiError(404, 'Branch not found');
      const found = protectionOf(repo, params.branch!);
      if (!found) throw new ApiError(404, 'Branch not protected');
      return { status: 200, body: protection(site, repo, found) };
    },
  );

  router.route(
    'PUT /repos/{owner}/{repo}/branches/{branch}/protection',
    { permission: ['administration', 'write'] },
    async ({ repo, site, params, body }) => {
      const branch = params.branch!;
      return repo.withLock(async () => {
        if (!(await repo.git.readRef(`refs/heads/${branch}`))) throw new ApiError(404, 'Branch not found');
        const record = protectionFromBody(branch, body);
        repo.state.protections = [...repo.state.protections.filter((p) => p.branch !== branch), record];
        return { status: 200, body: protection(site, repo, record) };
      });
    },
  );

  router.route(
    'DELETE /repos/{owner}/{repo}/branches/{branch}/protection',
    { permission: ['administration', 'write'] },
    async ({ repo, params }) =>
      repo.withLock(async () => {
        if (!protectionOf(repo, params.branch!)) throw new ApiError(404, 'Branch not protected');
        repo.state.protections = repo.state.protections.filter((p) => p.branch !== params.branch);
        return { status: 204 };
      }),
  );
}
