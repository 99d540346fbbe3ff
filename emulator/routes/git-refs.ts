/**
 * Git references through the API (GET /git/ref/{ref}, /git/matching-refs/{ref}, POST /git/refs,
 * PATCH and DELETE /git/refs/{ref}): compare-and-swap updates of the bare repository's refs,
 * fast-forward unless `force`, branch protection, and the push events GitHub sends for them.
 */
import { refUpdateProblems } from '../branch-protection.ts';
import type { EmulatorCore } from '../core.ts';
import { ApiError, PROTECTED_BRANCHES_DOCS, unprocessable } from '../http/api-error.ts';
import type { ApiRequest, ApiRouter } from '../http/api-router.ts';
import { gitRef } from '../present.ts';
import { afterRefUpdates } from '../pull-requests.ts';
import { GitCommandError, SHA_PATTERN, ZERO_SHA } from '../store/git.ts';
import type { Repository } from '../store/repository.ts';

/** A ref name git accepts, under refs/ with at least two components below it. */
async function validRefName(repo: Repository, ref: string): Promise<boolean> {
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) return false;
  try {
    await repo.git.run(['check-ref-format', ref]);
    return true;
  } catch (error) {
    if (error instanceof GitCommandError) return false;
    throw error;
  }
}

async function presentRef(request: ApiRequest, ref: string, sha: string) {
  const type = (await request.repo.git.objectType(sha)) ?? 'commit';
  return gitRef(request.site, request.repo, ref, sha, type);
}

/** Applies one ref change under the lock: protection, compare-and-swap, events. */
export async function changeRef(
  request: Pick<ApiRequest, 'core' | 'repo' | 'principal'>,
  update: { ref: string; before: string; after: string },
): Promise<void> {
  const { core, repo, principal } = request;
  const problems = await refUpdateProblems(repo, principal, update, (a, d) => repo.git.isAncestor(a, d));
  if (problems.length > 0) {
    throw new ApiError(422, problems.slice(1).join(' ') || problems[0]!, { documentationUrl: PROTECTED_BRANCHES_DOCS });
  }
  const ok =
    update.after === ZERO_SHA
      ? await repo.git.deleteRef(update.ref, update.before)
      : await repo.git.compareAndSwapRef(update.ref, update.after, update.before);
  if (!ok) throw new ApiError(422, 'Reference update failed');
  await afterRefUpdates(core as EmulatorCore, repo, [update], principal);
}

export function registerGitRefRoutes(router: ApiRouter): void {
  router.route('GET /repos/{owner}/{repo}/git/ref/{ref}', { permission: ['contents', 'read'] }, async (request) => {
    const ref = `refs/${request.params.ref}`;
    const found = (await request.repo.git.listRefs(ref)).find((r) => r.ref === ref);
    if (!found) throw new ApiError(404, 'Not Found');
    return { status: 200, body: gitRef(request.site, request.repo, found.ref, found.sha, found.type) };
  });

  router.route(
    'GET /repos/{owner}/{repo}/git/matching-refs/{ref}',
    { permission: ['contents', 'read'] },
    async (request) => {
      const prefix = `refs/${request.params.ref}`;
      const refs = (await request.repo.git.listRefs('refs/')).filter((r) => r.ref.startsWith(prefix));
      return { status: 200, body: refs.map((r) => gitRef(request.site, request.repo, r.ref, r.sha, r.type)) };
    },
  );

  router.route('POST /repos/{owner}/{repo}/git/refs', { permission: ['contents', 'write'] }, async (request) => {
    const { repo, body } = request;
    const ref = String(body.ref);
    const sha = String(body.sha);
    if (!(await validRefName(repo, ref))) throw unprocessable('Reference name is invalid');
    return repo.withLock(async () => {
      if (!SHA_PATTERN.test(sha) || !(await repo.git.objectType(sha))) throw unprocessable('Object does not exist');
      if (await repo.git.readRef(ref)) throw unprocessable('Reference already exists');
      await changeRef(request, { ref, before: ZERO_SHA, after: sha });
      const json = await presentRef(request, ref, sha);
      return { status: 201, body: json, headers: { location: json.url } };
    });
  });

  router.route('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { permission: ['contents', 'write'] }, async (request) => {
    const { repo, body } = request;
    const ref = `refs/${request.params.ref}`;
    const sha = String(body.sha);
    return repo.withLock(async () => {
      const before = (await repo.git.listRefs(ref)).find((r) => r.ref === ref)?.sha;
      if (!before) throw unprocessable('Reference does not exist');
      if (!SHA_PATTERN.test(sha) || !(await repo.git.objectType(sha))) throw unprocessable('Object does not exist');
      if (body.force !== true && before !== sha) {
        const fastForward = (await repo.git.objectType(sha)) === 'commit' && (await repo.git.isAncestor(before, sha));
        if (!fastForward) throw unprocessable('Update is not a fast forward');
      }
      if (before !== sha) await changeRef(request, { ref, before, after: sha });
      return { status: 200, body: await presentRef(request, ref, sha) };
    });
  });

  router.route(
    'DELETE /repos/{owner}/{repo}/git/refs/{ref}',
    { permission: ['contents', 'write'] },
    async (request) => {
      const { repo } = request;
      const ref = `refs/${request.params.ref}`;
      return repo.withLock(async () => {
        const before = (await repo.git.listRefs(ref)).find((r) => r.ref === ref)?.sha;
        if (!before) throw unprocessable('Reference does not exist');
        await changeRef(request, { ref, before, after: ZERO_SHA });
        return { status: 204 };
      });
    },
  );
}
