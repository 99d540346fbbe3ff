/**
 * Where the service reads the production manifest and artifacts from: a git repository (this
 * checkout by default, or a remote URL cloned into a cache folder and fetched on refresh), or a
 * plain folder for images built without `.git`.
 *
 * A git source reads everything from one commit (`git cat-file`), so a manifest and the artifact it
 * names always come from the same revision, even while someone commits or pulls in the checkout.
 */
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { type ManifestCommit, manifestHistory } from '../lib/release/manifest-history.ts';
import { sha256Hex } from '../lib/util/hash.ts';
import { checkRelative } from '../lib/util/repo-files.ts';

export interface ModelSource {
  /** For logs and /readyz; never contains credentials. */
  readonly description: string;
  /** Brings the source up to date (a fetch for a remote); a no-op for a local checkout. */
  refresh(): Promise<void>;
  /** Id of the current state (a commit); reads at one revision always see the same bytes. */
  revision(): Promise<string>;
  /** Throws MissingFileError when `file` is not there at `revision`. */
  read(revision: string, file: string): Promise<Uint8Array>;
  /** The manifest's history, newest first (git sources; a plain folder has none). */
  history?(limit: number): Promise<ManifestCommit[]>;
}

export class MissingFileError extends Error {
  readonly file: string;
  constructor(file: string, where: string) {
    super(`${file} does not exist in ${where}`);
    this.name = 'MissingFileError';
    this.file = file;
  }
}

const GIT_TIMEOUT_MS = 120_000;

/**
 * Variables only interactive git reads (editors, pagers, external diff, templates for new
 * repositories). Shells often set them; simple-git refuses to run with any of them in the
 * environment it is given, and clone/fetch/cat-file never use them, so they are dropped.
 */
const INTERACTIVE_GIT_VARIABLES = new Set([
  'EDITOR',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'PAGER',
  'GIT_PAGER',
  'GIT_EXTERNAL_DIFF',
  'GIT_TEMPLATE_DIR',
]);

/** The process environment git runs with: without the interactive variables, never prompting. */
export function gitEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!INTERACTIVE_GIT_VARIABLES.has(name.toUpperCase())) result[name] = value;
  }
  // Never wait for a password prompt: a deploy hook or poll must fail, not hang.
  result.GIT_TERMINAL_PROMPT = '0';
  return result;
}

function git(dir: string, env?: Record<string, string | undefined>): SimpleGit {
  // How the operator reaches the remote (an ssh command, an askpass helper, git config from the
  // environment, a proxy) is the operator's own environment, not request input: allowed.
  const instance = simpleGit({
    baseDir: dir,
    timeout: { block: GIT_TIMEOUT_MS },
    unsafe: {
      allowUnsafeSshCommand: true,
      allowUnsafeAskPass: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeGitProxy: true,
    },
  });
  return env ? instance.env(gitEnvironment(env)) : instance;
}

async function readBlob(repo: SimpleGit, revision: string, file: string, where: string): Promise<Uint8Array> {
  checkRelative(file);
  const spec = `${revision}:${file}`;
  try {
    const buffer: Buffer = await repo.binaryCatFile(['blob', spec]);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    // Tell "not in this commit" apart from git itself failing.
    const exists = await repo.raw(['cat-file', '-e', spec]).then(
      () => true,
      () => false,
    );
    if (!exists) throw new MissingFileError(file, `${where} at ${revision.slice(0, 12)}`);
    throw error;
  }
}

/** A local git checkout, read at `ref` (default HEAD: what is committed, not the working tree). */
export function localGitSource(root: string, ref = 'HEAD'): ModelSource {
  const repo = git(root);
  const where = `git repository ${root}`;
  return {
    description: `${where} (${ref})`,
    async refresh() {},
    async revision() {
      return (await repo.revparse(['--verify', `${ref}^{commit}`])).trim();
    },
    read: (revision, file) => readBlob(repo, revision, file, where),
    history: (limit) => manifestHistory(repo, limit),
  };
}

export interface RemoteGitOptions {
  url: string;
  branch: string;
  /** Where the bare clone lives between restarts. */
  cacheDir: string;
  env?: Record<string, string | undefined>;
}

/** Hides `user:token@` in an https URL. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

/** A remote repository kept as a bare clone in `cacheDir`; `refresh` fetches the branch. */
export function remoteGitSource(options: RemoteGitOptions): ModelSource {
  const { url, branch, cacheDir } = options;
  const where = `${redactUrl(url)} (${branch})`;
  const ref = `refs/heads/${branch}`;
  let cloned = false;
  const ensureClone = async () => {
    if (cloned) return;
    const isRepo = await stat(path.join(cacheDir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!isRepo) {
      // Clone next to the target and rename, so a crash never leaves a half clone that looks real.
      await mkdir(path.dirname(cacheDir), { recursive: true });
      const partial = `${cacheDir}.partial-${process.pid}`;
      await rm(partial, { recursive: true, force: true });
      await git(path.dirname(cacheDir), options.env).clone(url, partial, [
        '--bare',
        '--single-branch',
        '--branch',
        branch,
      ]);
      await rename(partial, cacheDir);
    }
    cloned = true;
  };
  return {
    description: where,
    async refresh() {
      const alreadyCloned =
        cloned ||
        (await stat(path.join(cacheDir, 'HEAD')).then(
          () => true,
          () => false,
        ));
      await ensureClone();
      // A fresh clone is already current; otherwise move the branch to the remote's tip.
      if (alreadyCloned) await git(cacheDir, options.env).fetch(['--prune', url, `+${ref}:${ref}`]);
    },
    async revision() {
      await ensureClone();
      return (await git(cacheDir, options.env).revparse(['--verify', `${ref}^{commit}`])).trim();
    },
    read: (revision, file) => readBlob(git(cacheDir, options.env), revision, file, where),
    async history(limit) {
      await ensureClone();
      return manifestHistory(git(cacheDir, options.env), limit);
    },
  };
}

/** Plain files under `root` (no git); the revision is the manifest's hash. */
export function directorySource(root: string, manifestPath: string): ModelSource {
  const read = async (file: string) => {
    try {
      return new Uint8Array(await readFile(path.join(root, checkRelative(file))));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingFileError(file, `folder ${root}`);
      throw error;
    }
  };
  return {
    description: `folder ${root}`,
    async refresh() {},
    async revision() {
      return `sha256:${sha256Hex(await read(manifestPath))}`;
    },
    read: (_revision, file) => read(file),
  };
}

/** Whether `root` is inside a git work tree (decides between the git and the folder source). */
export async function isGitCheckout(root: string): Promise<boolean> {
  try {
    return (await git(root).revparse(['--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}
