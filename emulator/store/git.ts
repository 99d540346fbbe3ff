/**
 * Real git on a bare repository, through git's own plumbing commands (child processes): objects,
 * trees through a temporary index, commits, compare-and-swap ref updates, merges with
 * `git merge-tree --write-tree` (git ≥ 2.38). No git logic is re-implemented here.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const ZERO_SHA = '0000000000000000000000000000000000000000';
export const SHA_PATTERN = /^[0-9a-f]{40}$/;

export class GitCommandError extends Error {
  override name = 'GitCommandError';
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  constructor(args: string[], code: number | null, stdout: string, stderr: string) {
    super(`git ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`);
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

export interface GitPerson {
  name: string;
  email: string;
  /** ISO 8601. */
  date: string;
}

export interface GitCommitObject {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  path: string;
  size?: number;
}

/** A change to a tree: a blob or tree sha at `path`, or `null` to remove the path. */
export interface TreeChange {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string | null;
}

export type MergeTreeResult = { clean: true; tree: string } | { clean: false; conflicts: string[] };

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

function gitDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  if (!Number.isFinite(seconds)) throw new Error(`not a date: ${iso}`);
  return `${seconds} +0000`;
}

function parsePerson(line: string): GitPerson {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) throw new Error(`unparsable git person line: ${line}`);
  return {
    name: match[1]!,
    email: match[2]!,
    date: new Date(Number(match[3]) * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

/** Answers computed from immutable objects (full shas) are cached: a git process costs 5-50 ms. */
const CACHE_LIMIT = 10_000;

export class GitRepository {
  readonly dir: string;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** `compute()` once per key when every sha in `shas` is a full object name (so the answer cannot change). */
  private memo<T>(kind: string, shas: (string | undefined)[], compute: () => Promise<T>): Promise<T> {
    if (!shas.every((sha) => sha === undefined || SHA_PATTERN.test(sha))) return compute();
    const key = `${kind}:${shas.join(':')}`;
    const hit = this.cache.get(key);
    if (hit) return hit as Promise<T>;
    const pending = compute();
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, pending);
    pending.catch(() => this.cache.delete(key));
    return pending;
  }

  /** Runs git in the repository; rejects with `GitCommandError` on a non-zero exit. */
  run(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: this.dir,
        env: { ...process.env, ...GIT_ENV, GIT_DIR: this.dir, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.stdin.on('error', () => {}); // git may exit before reading all input; the exit code tells.
      child.on('close', (code) => {
        const stdout = Buffer.concat(out);
        if (code === 0) resolve(stdout);
        else reject(new GitCommandError(args, code, stdout.toString('utf8'), Buffer.concat(err).toString('utf8')));
      });
      child.stdin.end(options.input ?? '');
    });
  }

  async text(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<string> {
    return (await this.run(args, options)).toString('utf8').trim();
  }

  /** Creates a bare repository whose HEAD names `defaultBranch`. */
  static async init(dir: string, defaultBranch: string): Promise<GitRepository> {
    await new Promise<void>((resolve, reject) =>
      execFile(
        'git',
        ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir],
        { env: { ...process.env, ...GIT_ENV } },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    const repo = new GitRepository(dir);
    // Pushes over HTTP go through git-http-backend, which needs this on a bare repository.
    await repo.run(['config', 'http.receivepack', 'true']);
    return repo;
  }

  /** The commit a revision names, or undefined. */
  async resolveCommit(rev: string): Promise<string | undefined> {
    if (rev.startsWith('-')) return undefined;
    try {
      return await this.text(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    } catch {
      return undefined;
    }
  }

  /** `blob`, `tree`, `commit`, `tag`, or undefined when the object does not exist. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!SHA_PATTERN.test(sha)) return undefined;
    try {
      return await this.text(['cat-file', '-t', sha]);
    } catch {
      return undefined;
    }
  }

  readObject(sha: string): Promise<Buffer> {
    return this.run(['cat-file', '-p', sha]);
  }

  async writeBlob(content: Buffer): Promise<string> {
    return this.text(['hash-object', '-w', '--stdin'], { input: content });
  }

  readCommit(sha: string): Promise<GitCommitObject> {
    return this.memo('commit', [sha], () => this.readCommitUncached(sha));
  }

  private async readCommitUncached(sha: string): Promise<GitCommitObject> {
    const raw = (await this.run(['cat-file', 'commit', sha])).toString('utf8');
    const split = raw.indexOf('\n\n');
    const header = split < 0 ? raw : raw.slice(0, split);
    const message = split < 0 ? '' : raw.slice(split + 2);
    const commit: GitCommitObject = { sha, tree: '', parents: [], author: undefined!, committer: undefined!, message };
    for (const line of header.split('\n')) {
      const space = line.indexOf(' ');
      const key = line.slice(0, space);
      const value = line.slice(space + 1);
      if (key === 'tree') commit.tree = value;
      else if (key === 'parent') commit.parents.push(value);
      else if (key === 'author') commit.author = parsePerson(value);
      else if (key === 'committer') commit.committer = parsePerson(value);
    }
    return commit;
  }

  /** The entries of a tree (`recursive`: every blob below it, with full paths). */
  async readTree(sha: string, recursive = false): Promise<TreeEntry[]> {
    const out = (await this.run(['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), sha])).toString('utf8');
    return out
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, objectSha, size] = line.slice(0, tab).split(/\s+/) as [
          string,
          TreeEntry['type'],
          string,
          string,
        ];
        return {
          mode,
          type,
          sha: objectSha,
          path: line.slice(tab + 1),
          ...(size !== '-' ? { size: Number(size) } : {}),
        };
      });
  }

  /** The entry at `filePath` in a commit's tree, or undefined. */
  async entryAt(commit: string, filePath: string): Promise<TreeEntry | undefined> {
    if (filePath === '') {
      const tree = await this.text(['rev-parse', `${commit}^{tree}`]);
      return { mode: '040000', type: 'tree', sha: tree, path: '' };
    }
    const out = (await this.run(['ls-tree', '-l', '-z', commit, '--', filePath])).toString('utf8');
    const line = out.split('\0').find((l) => l.slice(l.indexOf('\t') + 1) === filePath);
    if (!line) return undefined;
    const tab = line.indexOf('\t');
    const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/) as [string, TreeEntry['type'], string, string];
    return { mode, type, sha, path: filePath, ...(size !== '-' ? { size: Number(size) } : {}) };
  }

  /** A new tree: `base` (or empty) with `changes` applied, built in a throw-away index. */
  async writeTree(base: string | undefined, changes: TreeChange[]): Promise<string> {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'emulator-index-'));
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
    try {
      if (base) await this.run(['read-tree', base], { env });
      else await this.run(['read-tree', '--empty'], { env });
      const lines: string[] = [];
      for (const change of changes) {
        // Replacing or removing a path drops everything below it too (a tree becoming a blob).
        lines.push(`0 ${ZERO_SHA}\t${change.path}`);
        if (change.sha === null) continue;
        if (change.type === 'tree') {
          await this.run(['update-index', '--index-info'], { env, input: lines.splice(0).join('\n') + '\n' });
          const below = (await this.run(['ls-files', '-z', '--', `${change.path}/`], { env })).toString('utf8');
          const removals = below
            .split('\0')
            .filter(Boolean)
            .map((p) => `0 ${ZERO_SHA}\t${p}`);
          if (removals.length > 0)
            await this.run(['update-index', '--index-info'], { env, input: removals.join('\n') + '\n' });
          await this.run(['read-tree', `--prefix=${change.path}/`, change.sha], { env });
        } else {
          lines.push(`${change.mode} ${change.sha}\t${change.path}`);
        }
      }
      if (lines.length > 0) await this.run(['update-index', '--index-info'], { env, input: lines.join('\n') + '\n' });
      return await this.text(['write-tree'], { env });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async commitTree(input: {
    tree: string;
    parents: string[];
    message: string;
    author: GitPerson;
    committer: GitPerson;
  }): Promise<string> {
    const args = ['commit-tree', input.tree];
    for (const parent of input.parents) args.push('-p', parent);
    return this.text(args, {
      input: input.message,
      env: {
        GIT_AUTHOR_NAME: input.author.name,
        GIT_AUTHOR_EMAIL: input.author.email,
        GIT_AUTHOR_DATE: gitDate(input.author.date),
        GIT_COMMITTER_NAME: input.committer.name,
        GIT_COMMITTER_EMAIL: input.committer.email,
        GIT_COMMITTER_DATE: gitDate(input.committer.date),
      },
    });
  }

  /** Moves `ref` to `sha` only if it still points at `expected` (`ZERO_SHA`: must not exist). */
  async compareAndSwapRef(ref: string, sha: string, expected: string): Promise<boolean> {
    try {
      await this.run(['update-ref', ref, sha, expected]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  async deleteRef(ref: string, expected?: string): Promise<boolean> {
    try {
      await this.run(['update-ref', '-d', ref, ...(expected ? [expected] : [])]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  /** Full ref names and their shas, sorted by name, under `prefix` (`refs/heads/`). */
  async listRefs(prefix = 'refs/'): Promise<{ ref: string; sha: string; type: string }[]> {
    const out = await this.text(['for-each-ref', '--format=%(refname) %(objectname) %(objecttype)', prefix]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [ref, sha, type] = line.split(' ') as [string, string, string];
        return { ref, sha, type };
      });
  }

  async readRef(ref: string): Promise<string | undefined> {
    try {
      return await this.text(['rev-parse', '--verify', '--quiet', `${ref}^{}`]);
    } catch {
      return undefined;
    }
  }

  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.memo('ancestor', [ancestor, descendant], () => this.isAncestorUncached(ancestor, descendant));
  }

  private async isAncestorUncached(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError && error.code === 1) return false;
      throw error;
    }
  }

  mergeBase(a: string, b: string): Promise<string | undefined> {
    return this.memo('merge-base', [a, b], () => this.mergeBaseUncached(a, b));
  }

  private async mergeBaseUncached(a: string, b: string): Promise<string | undefined> {
    try {
      return await this.text(['merge-base', a, b]);
    } catch {
      return undefined;
    }
  }

  /** Three-way merge of two commits into a tree, without touching refs or a work tree. */
  mergeTree(ours: string, theirs: string, mergeBase?: string): Promise<MergeTreeResult> {
    return this.memo('merge-tree', [ours, theirs, mergeBase], () => this.mergeTreeUncached(ours, theirs, mergeBase));
  }

  private async mergeTreeUncached(ours: string, theirs: string, mergeBase?: string): Promise<MergeTreeResult> {
    const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z'];
    if (mergeBase) args.push(`--merge-base=${mergeBase}`);
    args.push(ours, theirs);
    try {
      const out = (await this.run(args)).toString('utf8');
      return { clean: true, tree: out.split('\0')[0]!.trim() };
    } catch (error) {
      if (error instanceof GitCommandError && error.code === 1) {
        const [, ...files] = error.stdout.split('\0').filter(Boolean);
        return { clean: false, conflicts: [...new Set(files)] };
      }
      throw error;
    }
  }

  /** Commits reachable from `head` and not from `base`, oldest first. */
  commitsBetween(base: string, head: string): Promise<string[]> {
    return this.memo('between', [base, head], async () => {
      const out = await this.text(['rev-list', '--reverse', '--topo-order', `${base}..${head}`]);
      return out.split('\n').filter(Boolean);
    });
  }

  /** Files that differ between two commits: added, modified, removed. */
  changedFiles(from: string, to: string): Promise<{ added: string[]; modified: string[]; removed: string[] }> {
    return this.memo('changed', [from, to], () => this.changedFilesUncached(from, to));
  }

  private async changedFilesUncached(
    from: string,
    to: string,
  ): Promise<{ added: string[]; modified: string[]; removed: string[] }> {
    const out = (await this.run(['diff-tree', '-r', '-z', '--no-commit-id', '--name-status', from, to])).toString(
      'utf8',
    );
    const parts = out.split('\0').filter(Boolean);
    const result = { added: [] as string[], modified: [] as string[], removed: [] as string[] };
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const status = parts[i]![0];
      const file = parts[i + 1]!;
      if (status === 'A') result.added.push(file);
      else if (status === 'D') result.removed.push(file);
      else result.modified.push(file);
    }
    return result;
  }

  /** Whole-repository consistency check. */
  fsck(): Promise<string> {
    return this.text(['fsck', '--full', '--strict', '--no-progress']);
  }
}
