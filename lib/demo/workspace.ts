/**
 * The demo's workspace: a bare repository seeded from this repository's committed HEAD (never the
 * working tree: the demo shows what is committed), which the GitHub emulator then serves.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** `bareDir` becomes a bare repository whose `branch` is `sourceDir`'s HEAD commit (with its history). */
export async function seedBareRepository(sourceDir: string, bareDir: string, branch = 'main'): Promise<string> {
  if (existsSync(path.join(bareDir, 'HEAD'))) throw new Error(`${bareDir} is already a repository`);
  await mkdir(bareDir, { recursive: true });
  await git(bareDir, ['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
  const head = await git(sourceDir, ['rev-parse', 'HEAD']);
  await git(sourceDir, ['push', '--quiet', '--no-verify', bareDir, `${head}:refs/heads/${branch}`]);
  return head;
}
