/**
 * RepositorySource over real git: a bare mirror (in a cache folder) answers questions about commits
 * (workflow files at a commit, changed files), and each job clones afresh from the remote URL — the
 * emulator's git-over-HTTP URL with a token, or any local repository. Tokens go in an
 * `http.extraheader` as actions/checkout sends them (basic `x-access-token:<token>`).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import type { CloneRequest, RepositorySource } from './ports.ts';

/** The header actions/checkout configures for a token. */
export function authorizationHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

function remoteUrl(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : pathToFileURL(path.resolve(url)).href;
}

function authConfig(token: string | undefined): string[] {
  return token ? [`http.extraheader=${authorizationHeader(token)}`] : [];
}

export interface GitRepositoryOptions {
  /** Git URL (http(s)://, file://) or a local path. */
  url: string;
  /** `owner/name`, as GITHUB_REPOSITORY shows it. */
  fullName: string;
  /** Where to keep the bare mirror. */
  cacheDir: string;
  /** Read token for HTTP remotes (the emulator's). */
  token?: string;
  /** The default branch; read from the remote's HEAD when omitted. */
  defaultBranch?: string;
}

export async function gitRepository(options: GitRepositoryOptions): Promise<RepositorySource> {
  const url = remoteUrl(options.url);
  await mkdir(options.cacheDir, { recursive: true });
  const mirror = simpleGit({ baseDir: options.cacheDir, config: authConfig(options.token) });
  await mirror.raw(['init', '--bare', '--quiet']);
  const remotes = await mirror.getRemotes();
  if (!remotes.some((r) => r.name === 'origin')) await mirror.raw(['remote', 'add', '--mirror=fetch', 'origin', url]);
  // One fetch at a time: events handled at once (a merge's push and its pull request `closed`) would
  // otherwise race on the mirror's ref locks. A call during a fetch waits for one more fetch after
  // it, shared by every call that arrives meanwhile, so it always sees what was pushed before it.
  let fetching: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const fetchOnce = async () => {
    await mirror.raw(['fetch', '--prune', '--quiet', 'origin']);
  };
  const refresh = (): Promise<void> => {
    if (!fetching) {
      fetching = fetchOnce().finally(() => (fetching = null));
      return fetching;
    }
    next ??= fetching
      .catch(() => {})
      .then(() => {
        next = null;
        return refresh();
      });
    return next;
  };
  await refresh();

  let defaultBranch = options.defaultBranch;
  if (!defaultBranch) {
    const head = await mirror.raw(['ls-remote', '--symref', 'origin', 'HEAD']);
    defaultBranch = /ref: refs\/heads\/(\S+)\s+HEAD/.exec(head)?.[1];
    if (!defaultBranch) throw new Error(`${options.url}: cannot tell the default branch (no HEAD); pass defaultBranch`);
  }

  const resolve = async (ref: string) => {
    const candidates =
      ref.startsWith('refs/') || /^[0-9a-f]{40}$/.test(ref) ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
    for (const candidate of candidates) {
      const sha = await mirror.raw(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]).catch(() => '');
      if (sha.trim()) return sha.trim();
    }
    throw new Error(`${options.fullName}: no commit for ref ${ref}`);
  };

  return {
    fullName: options.fullName,
    defaultBranch,
    cloneUrl: url,
    refresh,
    resolve,
    async readFolder(sha, folder) {
      const listing = await mirror.raw(['ls-tree', sha, `${folder.replace(/\/$/, '')}/`]).catch(() => '');
      const blobs = listing
        .split('\n')
        .map((line) => /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null);
      const contents = await catBlobs(
        options.cacheDir,
        blobs.map((m) => m[1]),
      );
      return blobs.map((m, i) => ({ path: m[2], content: contents[i] }));
    },
    async changedFiles(base, head, diffOptions = {}) {
      const range = diffOptions.mergeBase ? `${base}...${head}` : `${base}..${head}`;
      const diff = await mirror.raw(['diff', '--name-only', '--no-renames', range]);
      return diff.split('\n').filter(Boolean);
    },
    async clone(request) {
      await cloneInto(url, request);
    },
  };
}

/** Reads blobs in one `git cat-file --batch` (one process, however many files). */
async function catBlobs(gitDir: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdin.end(`${ids.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`git cat-file --batch in ${gitDir} exited with ${code}`);
  const out = Buffer.concat(chunks);
  const result: string[] = [];
  let offset = 0;
  for (const id of ids) {
    const headerEnd = out.indexOf(0x0a, offset);
    const [, type, size] = out.toString('utf8', offset, headerEnd).split(' ');
    if (type !== 'blob') throw new Error(`git cat-file: ${id} is not a blob`);
    const start = headerEnd + 1;
    result.push(out.toString('utf8', start, start + Number(size)));
    offset = start + Number(size) + 1;
  }
  return result;
}

/** A fresh clone as actions/checkout makes it: init, fetch one commit (or all history), check out. */
export async function cloneInto(url: string, request: CloneRequest): Promise<void> {
  await mkdir(request.dir, { recursive: true });
  const git = simpleGit({ baseDir: request.dir, config: authConfig(request.token) });
  await git.raw(['init', '--quiet']);
  await git.raw(['remote', 'add', 'origin', url]);
  const branch = request.ref?.startsWith('refs/heads/') ? request.ref.slice('refs/heads/'.length) : undefined;
  const remoteRef = branch ? `refs/remotes/origin/${branch}` : undefined;
  const depth = request.depth > 0 ? [`--depth=${request.depth}`] : [];
  const target = remoteRef ? `+${request.sha}:${remoteRef}` : request.sha;
  await git.raw(['fetch', '--no-tags', '--quiet', ...depth, 'origin', target]);
  if (request.depth === 0)
    await git.raw(['fetch', '--tags', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  if (branch && remoteRef) await git.raw(['checkout', '--quiet', '--force', '-B', branch, remoteRef]);
  else await git.raw(['checkout', '--quiet', '--force', '--detach', request.sha]);
  if (request.persistCredentials && request.token && /^https?:/.test(url)) {
    // Scoped to the server, as actions/checkout does, so the token goes nowhere else.
    await git.raw([
      'config',
      '--local',
      `http.${new URL(url).origin}/.extraheader`,
      authorizationHeader(request.token),
    ]);
  }
}
