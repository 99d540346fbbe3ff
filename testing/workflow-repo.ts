/**
 * A real git repository for runner tests: chosen sample workflows from testing/workflows/ as its
 * `.github/workflows/`, the sample actions at their own path, any extra files, one commit on main;
 * plus a runner over it that records runs to files. Everything lives in one temporary folder.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import { fileRunRecorder, type FileRunRecorder } from '../runner/file-recorder.ts';
import { gitRepository } from '../runner/git-repository.ts';
import type { RepositorySource } from '../runner/ports.ts';
import { createRunner, type Runner, type RunnerOptions } from '../runner/runner.ts';

export const SAMPLE_WORKFLOWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows');

/** The samples the runner loads and runs (invalid/ and security/ hold the broken ones). */
export const RUNNABLE_SAMPLES = [
  'outputs.yml',
  'failure.yml',
  'dispatch.yml',
  'paths.yml',
  'expression-error.yml',
  'limits.yml',
  'token-permissions.yml',
  'cache.yml',
];

export interface WorkflowRepo {
  dir: string;
  git: SimpleGit;
  /** Commits files (path → content; null deletes) on a branch and returns the new commit. */
  commit(files: Record<string, string | null>, options?: { branch?: string; message?: string }): Promise<string>;
  repository: RepositorySource;
  recorder: FileRunRecorder;
  runner: Runner;
  logLines: string[];
  cleanup(): Promise<void>;
}

export async function workflowRepo(options: {
  /** Sample workflow files (relative to testing/workflows/) to install as .github/workflows/<basename>. */
  workflows: string[];
  files?: Record<string, string>;
  runner?: Partial<RunnerOptions>;
}): Promise<WorkflowRepo> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'taxiway-workflow-repo-'));
  const dir = path.join(root, 'origin');
  await mkdir(path.join(dir, '.github', 'workflows'), { recursive: true });
  for (const workflow of options.workflows) {
    await writeFile(
      path.join(dir, '.github', 'workflows', path.basename(workflow)),
      await readFile(path.join(SAMPLE_WORKFLOWS, workflow)),
    );
  }
  await cp(path.join(SAMPLE_WORKFLOWS, 'actions'), path.join(dir, 'testing', 'workflows', 'actions'), {
    recursive: true,
  });
  const git = simpleGit({ baseDir: dir, config: ['user.name=Taxiway Tests', 'user.email=tests@taxiway.invalid'] });
  await git.init(['--quiet', '--initial-branch=main']);
  const commit: WorkflowRepo['commit'] = async (files, commitOptions = {}) => {
    if (commitOptions.branch) {
      const exists = (await git.raw(['branch', '--list', commitOptions.branch])).trim() !== '';
      await git.raw(['checkout', '--quiet', ...(exists ? [] : ['-b']), commitOptions.branch]);
    }
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(dir, file);
      if (content === null) await rm(target, { force: true });
      else {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    }
    await git.raw(['add', '--all']);
    await git.raw(['commit', '--quiet', '--allow-empty', '-m', commitOptions.message ?? 'test commit']);
    if (commitOptions.branch) await git.raw(['checkout', '--quiet', 'main']);
    return (await git.raw(['rev-parse', commitOptions.branch ?? 'HEAD'])).trim();
  };
  await commit(options.files ?? {}, { message: 'initial commit' });
  const repository = await gitRepository({
    url: dir,
    fullName: 'taxiway/flights',
    cacheDir: path.join(root, 'mirror'),
  });
  const recorder = await fileRunRecorder(path.join(root, 'runs'));
  const logLines: string[] = [];
  const runner = await createRunner({
    repository,
    recorder,
    workRoot: path.join(root, 'work'),
    live: (line) => logLines.push(line),
    ...options.runner,
  });
  return {
    dir,
    git,
    commit,
    repository,
    recorder,
    runner,
    logLines,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
