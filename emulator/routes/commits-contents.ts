/** Commits (GET /commits/{ref}) and the contents API (GET and PUT /contents/{path}). */
import { ApiError, unprocessable, validationFailed } from '../http/api-error.ts';
import type { ApiRequest, ApiRouter } from '../http/api-router.ts';
import { type FileChangeSummary, commit, gitCommit, repoApi, repoWeb } from '../present.ts';
import { type TreeEntry, ZERO_SHA } from '../store/git.ts';
import type { Repository } from '../store/repository.ts';
import { changeRef } from './git-refs.ts';
import { decodeContent, githubBase64, person, requester } from './git-objects.ts';

/** The commit a ref names (sha, branch, tag, `heads/x`), or undefined. */
export async function resolveRef(repo: Repository, ref: string): Promise<string | undefined> {
  for (const candidate of [ref, `refs/heads/${ref}`, `refs/tags/${ref}`, `refs/${ref}`]) {
    const sha = await repo.git.resolveCommit(candidate);
    if (sha) return sha;
  }
  return undefined;
}

/** The contents API serves at most 1 MB of content inline (bigger files: the blob API). */
const INLINE_LIMIT = 1024 * 1024;

function contentEntry(request: ApiRequest, entry: TreeEntry, ref: string, content?: Buffer) {
  const api = repoApi(request.site, request.repo);
  const web = repoWeb(request.site, request.repo);
  const isDir = entry.type === 'tree';
  const type = isDir ? 'dir' : entry.type === 'commit' ? 'submodule' : entry.mode === '120000' ? 'symlink' : 'file';
  const url = `${api}/contents/${entry.path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = `${api}/git/${isDir ? 'trees' : 'blobs'}/${entry.sha}`;
  const htmlUrl = `${web}/${isDir ? 'tree' : 'blob'}/${ref}/${entry.path}`;
  return {
    name: entry.path.split('/').pop()!,
    path: entry.path,
    sha: entry.sha,
    size: entry.size ?? 0,
    url,
    html_url: htmlUrl,
    git_url: gitUrl,
    download_url: isDir ? null : `${request.site.web}/${request.repo.fullName}/raw/${ref}/${entry.path}`,
    type,
    ...(content !== undefined
      ? content.length <= INLINE_LIMIT
        ? { content: githubBase64(content), encoding: 'base64' }
        : { content: '', encoding: 'none' }
      : {}),
    _links: { self: url, git: gitUrl, html: htmlUrl },
  };
}

export function registerCommitContentRoutes(router: ApiRouter): void {
  router.route('GET /repos/{owner}/{repo}/commits/{ref}', { permission: ['contents', 'read'] }, async (request) => {
    const { repo, site } = request;
    const sha = await resolveRef(repo, request.params.ref!);
    if (!sha) throw new ApiError(422, `No commit found for SHA: ${request.params.ref}`);
    const c = await repo.git.readCommit(sha);
    const changed = await repo.git.changedFiles(c.parents[0] ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904', sha);
    const files: FileChangeSummary[] = [
      ...changed.added.map((filename) => ({ filename, status: 'added' as const, sha: null })),
      ...changed.modified.map((filename) => ({ filename, status: 'modified' as const, sha: null })),
      ...changed.removed.map((filename) => ({ filename, status: 'removed' as const, sha: null })),
    ];
    for (const file of files)
      if (file.status !== 'removed') file.sha = (await repo.git.entryAt(sha, file.filename))?.sha ?? null;
    return { status: 200, body: commit(site, repo, c, files) };
  });

  router.route(
    'GET /repos/{owner}/{repo}/contents/{path}',
    { permission: ['contents', 'read'], alsoAt: ['/repos/:owner/:repo/contents', '/repos/:owner/:repo/contents/'] },
    async (request) => {
      const { repo } = request;
      const ref = (request.query.ref as string | undefined) ?? repo.state.defaultBranch;
      const sha = await resolveRef(repo, ref);
      if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`);
      const filePath = (request.params.path ?? '').replace(/^\/+|\/+$/g, '');
      const entry = await repo.git.entryAt(sha, filePath);
      if (!entry) throw new ApiError(404, 'Not Found');
      if (entry.type === 'tree') {
        const children = await repo.git.readTree(`${entry.sha}`);
        return {
          status: 200,
          body: children.map((child) =>
            contentEntry(request, { ...child, path: filePath ? `${filePath}/${child.path}` : child.path }, ref),
          ),
        };
      }
      const content = entry.type === 'blob' ? await repo.git.readObject(entry.sha) : Buffer.alloc(0);
      // `Accept: application/vnd.github.raw` (or the v3 form) asks for the bytes themselves.
      const accept = request.hono.req.header('accept') ?? '';
      const rawType = /application\/vnd\.github(?:\.v3)?\.raw/.exec(accept)?.[0];
      if (rawType && entry.type === 'blob') {
        return {
          status: 200,
          raw: { body: content, contentType: `${rawType}; charset=utf-8`, mediaType: 'github.v3; param=raw' },
        };
      }
      return { status: 200, body: contentEntry(request, entry, ref, content) };
    },
  );

  router.route('PUT /repos/{owner}/{repo}/contents/{path}', { permission: ['contents', 'write'] }, async (request) => {
    const { repo, body, site } = request;
    const filePath = request.params.path!.replace(/^\/+|\/+$/g, '');
    const branch = (body.branch as string | undefined) ?? repo.state.defaultBranch;
    const content = decodeContent(String(body.content), 'base64');
    return repo.withLock(async () => {
      const head = await repo.git.readRef(`refs/heads/${branch}`);
      if (!head && branch !== repo.state.defaultBranch) throw new ApiError(404, `Branch ${branch} not found`);
      const existing = head ? await repo.git.entryAt(head, filePath) : undefined;
      if (existing?.type === 'tree') throw unprocessable(`${filePath} is a directory`);
      if (existing && body.sha === undefined) throw unprocessable('Invalid request.\n\n"sha" wasn\'t supplied.');
      if (existing && body.sha !== existing.sha) {
        throw new ApiError(409, `${filePath} does not match ${String(body.sha)}`);
      }
      if (!existing && body.sha !== undefined && head) {
        throw validationFailed({ resource: 'Commit', field: 'sha', code: 'invalid' });
      }
      const blob = await repo.git.writeBlob(content);
      const baseTree = head ? (await repo.git.readCommit(head)).tree : undefined;
      const tree = await repo.git.writeTree(baseTree, [{ path: filePath, mode: '100644', type: 'blob', sha: blob }]);
      const author = person(body.author, person(body.committer, requester(request)));
      const committer = person(body.committer, author);
      const sha = await repo.git.commitTree({
        tree,
        parents: head ? [head] : [],
        message: String(body.message),
        author,
        committer,
      });
      await changeRef(request, { ref: `refs/heads/${branch}`, before: head ?? ZERO_SHA, after: sha });
      const entry = (await repo.git.entryAt(sha, filePath))!;
      const {
        content: _omitted,
        encoding: _none,
        ...file
      } = contentEntry(request, entry, branch, undefined) as ReturnType<typeof contentEntry> & {
        content?: string;
        encoding?: string;
      };
      return {
        status: existing ? 200 : 201,
        body: { content: file, commit: gitCommit(site, repo, await repo.git.readCommit(sha)) },
      };
    });
  });
}
