/** The git data API: blobs, trees (with `base_tree`, built in a scratch index) and commits. */
import { ApiError, unprocessable } from '../http/api-error.ts';
import type { ApiRequest, ApiRouter } from '../http/api-router.ts';
import { gitCommit, noreplyEmail, repoApi } from '../present.ts';
import { type GitPerson, SHA_PATTERN, type TreeChange } from '../store/git.ts';
import { timestamp } from '../store/records.ts';

/** Base64 the way GitHub sends it: lines of 60 characters, each ending in a newline. */
export function githubBase64(content: Buffer): string {
  const flat = content.toString('base64');
  let out = '';
  for (let i = 0; i < flat.length; i += 60) out += `${flat.slice(i, i + 60)}\n`;
  return out;
}

export function decodeContent(content: string, encoding: string | undefined): Buffer {
  if (encoding === 'base64') {
    const clean = content.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw unprocessable('content is not valid Base64');
    return Buffer.from(clean, 'base64');
  }
  return Buffer.from(content, 'utf8');
}

async function presentTree(request: ApiRequest, sha: string, recursive: boolean) {
  const base = repoApi(request.site, request.repo);
  const entries = await request.repo.git.readTree(sha, recursive);
  return {
    sha,
    url: `${base}/git/trees/${sha}`,
    tree: entries.map((e) => ({
      path: e.path,
      mode: e.mode,
      type: e.type,
      sha: e.sha,
      ...(e.size !== undefined ? { size: e.size } : {}),
      url: `${base}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
    })),
    truncated: false,
  };
}

/** An author/committer from a request body, or the token's user now. */
export function person(value: unknown, fallback: GitPerson): GitPerson {
  if (!value || typeof value !== 'object') return fallback;
  const v = value as { name?: string; email?: string; date?: string };
  return { name: v.name ?? fallback.name, email: v.email ?? fallback.email, date: v.date ?? fallback.date };
}

export function requester(request: Pick<ApiRequest, 'principal'>): GitPerson {
  const actor = request.principal?.actor ?? { login: 'anonymous', id: 0 };
  return { name: actor.login, email: noreplyEmail(actor), date: timestamp() };
}

const MODES = new Set(['100644', '100755', '040000', '160000', '120000']);

export function registerGitObjectRoutes(router: ApiRouter): void {
  router.route('POST /repos/{owner}/{repo}/git/blobs', { permission: ['contents', 'write'] }, async (request) => {
    const content = decodeContent(String(request.body.content), request.body.encoding as string | undefined);
    const sha = await request.repo.git.writeBlob(content);
    const url = `${repoApi(request.site, request.repo)}/git/blobs/${sha}`;
    return { status: 201, body: { url, sha }, headers: { location: url } };
  });

  router.route(
    'GET /repos/{owner}/{repo}/git/blobs/{file_sha}',
    { permission: ['contents', 'read'] },
    async (request) => {
      const sha = request.params.file_sha!;
      if ((await request.repo.git.objectType(sha)) !== 'blob') throw new ApiError(404, 'Not Found');
      const content = await request.repo.git.readObject(sha);
      return {
        status: 200,
        body: {
          sha,
          node_id: Buffer.from(`0:Blob${sha}`).toString('base64'),
          size: content.length,
          url: `${repoApi(request.site, request.repo)}/git/blobs/${sha}`,
          content: githubBase64(content),
          encoding: 'base64',
        },
      };
    },
  );

  router.route('POST /repos/{owner}/{repo}/git/trees', { permission: ['contents', 'write'] }, async (request) => {
    const { repo, body } = request;
    const baseTree = body.base_tree as string | undefined;
    if (baseTree !== undefined && (await repo.git.objectType(baseTree)) !== 'tree') {
      throw unprocessable('base_tree is not a valid tree oid');
    }
    const changes: TreeChange[] = [];
    for (const entry of body.tree as {
      path: string;
      mode: string;
      type: TreeChange['type'];
      sha?: string | null;
      content?: string;
    }[]) {
      if (
        !MODES.has(entry.mode) ||
        entry.path.startsWith('/') ||
        entry.path.endsWith('/') ||
        entry.path.split('/').some((p) => p === '' || p === '.' || p === '..' || p === '.git')
      ) {
        throw new ApiError(422, 'GitRPC::BadObjectState', {});
      }
      let sha = entry.sha ?? null;
      if (entry.content !== undefined) {
        if (entry.sha !== undefined) throw unprocessable('Must supply either tree.sha or tree.content, but not both.');
        sha = await repo.git.writeBlob(Buffer.from(entry.content, 'utf8'));
      } else if (sha !== null) {
        const expected = entry.type === 'tree' ? 'tree' : entry.type === 'commit' ? 'commit' : 'blob';
        if (!SHA_PATTERN.test(sha) || (entry.type !== 'commit' && (await repo.git.objectType(sha)) !== expected)) {
          throw unprocessable(`tree.sha ${sha} is not a valid ${expected}`);
        }
      }
      changes.push({ path: entry.path, mode: entry.mode, type: entry.type, sha });
    }
    const sha = await repo.git.writeTree(baseTree, changes);
    const json = await presentTree(request, sha, false);
    return { status: 201, body: json, headers: { location: json.url } };
  });

  router.route(
    'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
    { permission: ['contents', 'read'] },
    async (request) => {
      const rev = request.params.tree_sha!;
      const type = await request.repo.git.objectType(rev);
      let sha: string | undefined;
      if (type === 'tree') sha = rev;
      else {
        const commit = await request.repo.git.resolveCommit(rev);
        if (commit) sha = (await request.repo.git.readCommit(commit)).tree;
      }
      if (!sha) throw new ApiError(404, 'Not Found');
      const recursive =
        request.query.recursive !== undefined && !['0', 'false', ''].includes(String(request.query.recursive));
      return { status: 200, body: await presentTree(request, sha, recursive) };
    },
  );

  router.route('POST /repos/{owner}/{repo}/git/commits', { permission: ['contents', 'write'] }, async (request) => {
    const { repo, body, site } = request;
    const tree = String(body.tree);
    if ((await repo.git.objectType(tree)) !== 'tree') throw unprocessable('Tree SHA does not exist');
    const parents = (body.parents as string[] | undefined) ?? [];
    for (const parent of parents) {
      if ((await repo.git.objectType(parent)) !== 'commit')
        throw unprocessable('Parent SHA does not exist or is not a commit object');
    }
    const fallback = requester(request);
    const author = person(body.author, fallback);
    const committer = person(body.committer, author);
    for (const date of [author.date, committer.date]) {
      if (!Number.isFinite(Date.parse(date)))
        throw new ApiError(422, `Invalid request.\n\n${JSON.stringify(date)} is not a valid date-time.`);
    }
    const sha = await repo.git.commitTree({ tree, parents, message: String(body.message), author, committer });
    const json = gitCommit(site, repo, await repo.git.readCommit(sha));
    return { status: 201, body: json, headers: { location: json.url } };
  });

  router.route(
    'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
    { permission: ['contents', 'read'] },
    async (request) => {
      const sha = request.params.commit_sha!;
      if ((await request.repo.git.objectType(sha)) !== 'commit') throw new ApiError(404, 'Not Found');
      return { status: 200, body: gitCommit(request.site, request.repo, await request.repo.git.readCommit(sha)) };
    },
  );
}
