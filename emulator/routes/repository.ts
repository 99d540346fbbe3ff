/** Repository and branches: GET /repos/{o}/{r}, /branches, /branches/{branch}. */
import { protectionOf } from '../branch-protection.ts';
import { ApiError } from '../http/api-error.ts';
import { type ApiRouter, paginate } from '../http/api-router.ts';
import { commit, ownerActor, repoApi, repoWeb, repository, user } from '../present.ts';
import { TokenRegistry } from '../tokens.ts';

export function registerRepositoryRoutes(router: ApiRouter): void {
  router.route('GET /repos/{owner}/{repo}', { permission: ['metadata', 'read'] }, async ({ site, repo, principal }) => {
    const push = principal ? TokenRegistry.has(principal, 'contents', 'write') : false;
    return {
      status: 200,
      body: {
        ...repository(site, repo, principal ? { admin: principal.admin, push } : undefined),
        // Fields only the full repository carries (GitHub's defaults for a new repository).
        organization: user(site, ownerActor(repo)),
        temp_clone_token: '',
        use_squash_pr_title_as_default: false,
        squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
        squash_merge_commit_message: 'COMMIT_MESSAGES',
        merge_commit_title: 'MERGE_MESSAGE',
        merge_commit_message: 'PR_TITLE',
      },
    };
  });

  router.route('GET /repos/{owner}/{repo}/branches', { permission: ['contents', 'read'] }, async (request) => {
    const { repo, site, query } = request;
    let branches = await repo.git.listRefs('refs/heads/');
    if (query.protected !== undefined) {
      const wanted = String(query.protected) === 'true';
      branches = branches.filter((b) => Boolean(protectionOf(repo, b.ref.slice(11))) === wanted);
    }
    const page = paginate(request, branches);
    return {
      status: 200,
      headers: page.headers,
      body: page.items.map((b) => {
        const name = b.ref.slice('refs/heads/'.length);
        return {
          name,
          commit: { sha: b.sha, url: `${repoApi(site, repo)}/commits/${b.sha}` },
          protected: Boolean(protectionOf(repo, name)),
        };
      }),
    };
  });

  router.route(
    'GET /repos/{owner}/{repo}/branches/{branch}',
    { permission: ['contents', 'read'] },
    async ({ repo, site, params }) => {
      const branch = params.branch!;
      const sha = await repo.git.readRef(`refs/heads/${branch}`);
      if (!sha) throw new ApiError(404, 'Branch not found');
      const protection = protectionOf(repo, branch);
      const contexts = protection?.requiredStatusChecks?.contexts ?? [];
      return {
        status: 200,
        body: {
          name: branch,
          commit: commit(site, repo, await repo.git.readCommit(sha)),
          _links: {
            self: `${repoApi(site, repo)}/branches/${branch}`,
            html: `${repoWeb(site, repo)}/tree/${branch}`,
          },
          protected: Boolean(protection),
          protection: {
            enabled: Boolean(protection),
            required_status_checks: {
              enforcement_level: contexts.length > 0 ? (protection?.enforceAdmins ? 'everyone' : 'non_admins') : 'off',
              contexts,
              checks: contexts.map((context) => ({ context, app_id: null })),
            },
          },
          protection_url: `${repoApi(site, repo)}/branches/${branch}/protection`,
        },
      };
    },
  );
}
