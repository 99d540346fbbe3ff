/**
 * One emulated repository: a real bare git repository plus the records GitHub keeps beside git
 * (pull requests, comments, statuses, deployments, protection, workflow runs), persisted as JSON in
 * `<bare>/taxiway-emulator/`, so an emulator restarted on the same directory finds everything again.
 * Writes are serialised by one lock per repository (API writes and git pushes alike).
 */
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GitRepository } from './git.ts';
import { type RepositoryState, timestamp } from './records.ts';

export interface RepositoryOptions {
  owner: string;
  name: string;
  /** The bare repository's directory; created when missing. */
  path: string;
  defaultBranch?: string;
  private?: boolean;
  /** Fill a new bare repository from this git repository (path or URL): its `defaultBranch`. */
  seedFrom?: string;
}

const STATE_DIR = 'taxiway-emulator';
const HOOK_SCRIPT = fileURLToPath(new URL('../git-hooks/hook.ts', import.meta.url));

export class Repository {
  readonly git: GitRepository;
  readonly dir: string;
  state: RepositoryState;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(git: GitRepository, state: RepositoryState) {
    this.git = git;
    this.dir = git.dir;
    this.state = state;
  }

  get owner(): string {
    return this.state.owner;
  }
  get name(): string {
    return this.state.name;
  }
  get fullName(): string {
    return `${this.state.owner}/${this.state.name}`;
  }

  static async open(options: RepositoryOptions, id: number): Promise<Repository> {
    const dir = path.resolve(options.path);
    const defaultBranch = options.defaultBranch ?? 'main';
    const isRepo = existsSync(path.join(dir, 'HEAD')) && existsSync(path.join(dir, 'objects'));
    let git: GitRepository;
    if (isRepo) {
      git = new GitRepository(dir);
      await git.run(['config', 'http.receivepack', 'true']);
    } else {
      git = await GitRepository.init(dir, defaultBranch);
      if (options.seedFrom) {
        await git.run([
          'fetch',
          '--quiet',
          '--no-tags',
          options.seedFrom,
          `+refs/heads/${defaultBranch}:refs/heads/${defaultBranch}`,
        ]);
      }
    }
    await installHooks(dir);
    const stateFile = path.join(dir, STATE_DIR, 'state.json');
    let state: RepositoryState;
    if (existsSync(stateFile)) {
      state = JSON.parse(await readFile(stateFile, 'utf8')) as RepositoryState;
    } else {
      const now = timestamp();
      state = {
        version: 1,
        id,
        owner: options.owner,
        name: options.name,
        defaultBranch,
        private: options.private ?? true,
        createdAt: now,
        pushedAt: now,
        counters: {},
        pulls: [],
        comments: [],
        statuses: [],
        deployments: [],
        deploymentStatuses: [],
        protections: [],
        workflows: [],
        runs: [],
        jobs: [],
      };
    }
    const repository = new Repository(git, state);
    await mkdir(path.join(dir, STATE_DIR, 'logs'), { recursive: true });
    await repository.save();
    return repository;
  }

  /** The next id of a kind of record (`issue` numbers pull requests, as on GitHub). */
  nextId(kind: string): number {
    const next = (this.state.counters[kind] ?? 0) + 1;
    this.state.counters[kind] = next;
    return next;
  }

  /** Runs `fn` alone among this repository's writers, then saves the records. */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn).finally(() => this.save());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async save(): Promise<void> {
    const file = path.join(this.dir, STATE_DIR, 'state.json');
    const scratch = `${file}.${process.pid}.tmp`;
    await writeFile(scratch, JSON.stringify(this.state));
    await rename(scratch, file);
  }

  logFile(jobId: number): string {
    return path.join(this.dir, STATE_DIR, 'logs', `${jobId}.log`);
  }

  async appendLog(jobId: number, text: string): Promise<void> {
    await appendFile(this.logFile(jobId), text);
  }

  async readLog(jobId: number): Promise<string> {
    try {
      return await readFile(this.logFile(jobId), 'utf8');
    } catch {
      return '';
    }
  }
}

/**
 * Git hooks that ask the emulator (over loopback) whether a pushed ref update is allowed (branch
 * protection) and tell it what a push changed (push and pull_request events). A push that does
 * not come through the emulator (a local `git push` to the directory) has no emulator to ask and
 * passes, like an administrator on the server.
 */
async function installHooks(dir: string): Promise<void> {
  const hooks = path.join(dir, 'hooks');
  await mkdir(hooks, { recursive: true });
  for (const hook of ['update', 'post-receive']) {
    const file = path.join(hooks, hook);
    const script = [
      '#!/bin/sh',
      '# Installed by the Taxiway GitHub emulator: branch protection and push events.',
      '[ -n "$TAXIWAY_EMULATOR_HOOK_URL" ] || exit 0',
      // Only protected branches need the emulator's verdict (a node process each, ~0.1-0.3 s).
      ...(hook === 'update' ? ['case " $TAXIWAY_EMULATOR_PROTECTED " in *" $1 "*) ;; *) exit 0 ;; esac'] : []),
      `exec "$TAXIWAY_EMULATOR_NODE" ${JSON.stringify(HOOK_SCRIPT)} ${hook} "$@"`,
      '',
    ].join('\n');
    await writeFile(file, script);
    await chmod(file, 0o755);
  }
}
