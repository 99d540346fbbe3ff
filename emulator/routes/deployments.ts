/**
 * Deployments and deployment statuses, with GitHub's checks at creation: `auto_merge` (default on:
 * the default branch is merged into the ref first, 202, or 409 on conflict) and `required_contexts`
 * (default: every context on the ref must be green, else 409), and `auto_inactive` on success.
 */
import { latestStatuses } from '../branch-protection.ts';
import { ApiError } from '../http/api-error.ts';
import { type ApiRequest, type ApiRouter, paginate } from '../http/api-router.ts';
import { deployment, deploymentStatus } from '../present.ts';
import { afterRefUpdates } from '../pull-requests.ts';
import { type DeploymentRecord, type DeploymentStatusRecord, timestamp } from '../store/records.ts';
import { resolveRef } from './commits-contents.ts';
import { requester } from './git-objects.ts';

function findDeployment(request: ApiRequest): DeploymentRecord {
  const id = Number(request.params.deployment_id);
  const found = request.repo.state.deployments.find((d) => d.id === id);
  if (!found) throw new ApiError(404, 'Not Found');
  return found;
}

/** GitHub's auto-merge: merge the default branch into a branch ref that is behind it. */
async function autoMerge(request: ApiRequest, ref: string, sha: string): Promise<ApiError | undefined> {
  const { repo } = request;
  const branch = ref.replace(/^refs\/heads\//, '');
  const defaultBranch = repo.state.defaultBranch;
  if (branch === defaultBranch || !(await repo.git.readRef(`refs/heads/${branch}`))) return undefined;
  const base = await repo.git.readRef(`refs/heads/${defaultBranch}`);
  if (!base || (await repo.git.isAncestor(base, sha))) return undefined;
  const merged = await repo.git.mergeTree(sha, base);
  if (!merged.clean) return new ApiError(409, `Conflict merging ${defaultBranch} into ${branch}.`);
  const who = requester(request);
  const commit = await repo.git.commitTree({
    tree: merged.tree,
    parents: [sha, base],
    message: `Auto-merged ${defaultBranch} into ${branch} on deployment.`,
    author: who,
    committer: who,
  });
  if (!(await repo.git.compareAndSwapRef(`refs/heads/${branch}`, commit, sha))) {
    return new ApiError(409, `Conflict merging ${defaultBranch} into ${branch}.`);
  }
  await afterRefUpdates(
    request.core,
    repo,
    [{ ref: `refs/heads/${branch}`, before: sha, after: commit }],
    request.principal,
  );
  return new ApiError(202, `Auto-merged ${defaultBranch} into ${branch} on deployment.`);
}

export function registerDeploymentRoutes(router: ApiRouter): void {
  router.route('POST /repos/{owner}/{repo}/deployments', { permission: ['deployments', 'write'] }, async (request) => {
    const { repo, body, principal, site } = request;
    const ref = String(body.ref);
    return repo.withLock(async () => {
      const sha = await resolveRef(repo, ref);
      if (!sha) throw new ApiError(422, `No ref found for: ${ref}`);
      if (body.auto_merge !== false) {
        const merged = await autoMerge(request, ref, sha);
        if (merged?.status === 202) return { status: 202, body: { message: merged.message } };
        if (merged) throw merged;
      }
      const statuses = latestStatuses(repo, sha);
      const required = (body.required_contexts as string[] | undefined) ?? statuses.map((s) => s.context);
      const failed = required
        .map((context) => ({ context, state: statuses.find((s) => s.context === context)?.state ?? 'missing' }))
        .filter((c) => c.state !== 'success');
      if (failed.length > 0) {
        throw new ApiError(409, `Conflict: Commit status checks failed for ${ref}.`, {
          errors: [{ resource: 'Deployment', field: 'required_contexts', code: 'invalid', contexts: failed } as never],
        });
      }
      const now = timestamp();
      const environment = (body.environment as string | undefined) ?? 'production';
      const record: DeploymentRecord = {
        id: repo.nextId('deployment'),
        sha,
        ref,
        task: (body.task as string | undefined) ?? 'deploy',
        environment,
        originalEnvironment: environment,
        payload: (body.payload as Record<string, unknown> | string | undefined) ?? {},
        description: (body.description as string | null | undefined) ?? '',
        productionEnvironment: (body.production_environment as boolean | undefined) ?? environment === 'production',
        transientEnvironment: (body.transient_environment as boolean | undefined) ?? false,
        creator: principal?.actor ?? requesterActor(),
        createdAt: now,
        updatedAt: now,
      };
      repo.state.deployments.push(record);
      const json = deployment(site, repo, record);
      return { status: 201, body: json, headers: { location: json.url } };
    });
  });

  router.route('GET /repos/{owner}/{repo}/deployments', { permission: ['deployments', 'read'] }, async (request) => {
    const { query } = request;
    const list = request.repo.state.deployments
      .filter(
        (d) =>
          (query.sha === undefined || d.sha === query.sha) &&
          (query.ref === undefined || d.ref === query.ref) &&
          (query.task === undefined || d.task === query.task) &&
          (query.environment === undefined || d.environment === query.environment),
      )
      .sort((a, b) => b.id - a.id);
    const page = paginate(request, list);
    return {
      status: 200,
      body: page.items.map((d) => deployment(request.site, request.repo, d)),
      headers: page.headers,
    };
  });

  router.route(
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}',
    { permission: ['deployments', 'read'] },
    async (request) => ({
      status: 200,
      body: deployment(request.site, request.repo, findDeployment(request)),
    }),
  );

  router.route(
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    { permission: ['deployments', 'read'] },
    async (request) => {
      const d = findDeployment(request);
      const list = request.repo.state.deploymentStatuses
        .filter((s) => s.deploymentId === d.id)
        .sort((a, b) => b.id - a.id);
      const page = paginate(request, list);
      return {
        status: 200,
        body: page.items.map((s) => deploymentStatus(request.site, request.repo, s)),
        headers: page.headers,
      };
    },
  );

  router.route(
    'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    { permission: ['deployments', 'write'] },
    async (request) => {
      const { repo, body, principal, site } = request;
      return repo.withLock(async () => {
        const d = findDeployment(request);
        const now = timestamp();
        const creator = principal?.actor ?? requesterActor();
        const record: DeploymentStatusRecord = {
          id: repo.nextId('deployment_status'),
          deploymentId: d.id,
          state: body.state as DeploymentStatusRecord['state'],
          description: (body.description as string | undefined) ?? '',
          logUrl: (body.log_url as string | undefined) ?? (body.target_url as string | undefined) ?? '',
          environmentUrl: (body.environment_url as string | undefined) ?? '',
          environment: (body.environment as string | undefined) ?? d.environment,
          creator,
          createdAt: now,
          updatedAt: now,
        };
        if (body.environment !== undefined) d.environment = String(body.environment);
        d.updatedAt = now;
        repo.state.deploymentStatuses.push(record);
        // auto_inactive (default true): a successful deployment retires the environment's earlier ones.
        if (record.state === 'success' && body.auto_inactive !== false) {
          for (const other of repo.state.deployments) {
            if (other.id === d.id || other.environment !== d.environment || other.transientEnvironment) continue;
            const latest = repo.state.deploymentStatuses
              .filter((s) => s.deploymentId === other.id)
              .sort((a, b) => b.id - a.id)[0];
            if (latest && latest.state === 'success') {
              repo.state.deploymentStatuses.push({
                ...latest,
                id: repo.nextId('deployment_status'),
                state: 'inactive',
                description: '',
                creator,
                createdAt: now,
                updatedAt: now,
              });
            }
          }
        }
        const json = deploymentStatus(site, repo, record);
        return { status: 201, body: json, headers: { location: json.url } };
      });
    },
  );
}

function requesterActor() {
  return { login: 'anonymous', id: 0, type: 'User' as const };
}
