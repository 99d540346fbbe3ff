/**
 * A GitHub emulator for a test file: one seeded repository in a temporary directory, an admin
 * token, an octokit forge pointed at it, and the check that the file caused no OpenAPI violation.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Emulator, type ProtectionInput, startEmulator } from '../emulator/index.ts';
import { createOctokitForge } from '../lib/forge/octokit-forge.ts';
import type { Forge } from '../lib/forge/forge.ts';

export const TEST_OWNER = 'taxiway';
export const TEST_REPO = 'flight-delay';

export interface TestEmulator {
  emulator: Emulator;
  fullName: string;
  owner: string;
  repo: string;
  /** An octokit forge with the admin token and no write pacing. */
  forge: Forge;
  /** A forge for another token (e.g. a minted one). */
  forgeFor(token: string): Forge;
  /** Scratch space removed on close. */
  dir: string;
  /** Throws when any response or webhook payload violated GitHub's description. */
  assertNoViolations(): void;
  close(): Promise<void>;
}

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Taxiway Test',
  GIT_AUTHOR_EMAIL: 'test@taxiway.invalid',
  GIT_COMMITTER_NAME: 'Taxiway Test',
  GIT_COMMITTER_EMAIL: 'test@taxiway.invalid',
  GIT_AUTHOR_DATE: '2001-05-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2001-05-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: os.tmpdir(),
};

export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_IDENTITY, ...env }, encoding: 'utf8' }).trim();
}

/**
 * git as a child process without blocking the event loop — required whenever git talks to an
 * emulator served by the same process. Rejects with git's stderr.
 */
export function gitAsync(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...GIT_IDENTITY, GIT_TERMINAL_PROMPT: '0', ...env } },
      (error, stdout, stderr) =>
        error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr }),
    );
  });
}

/** The clone URL with a token as Basic credentials, as `git clone https://x-access-token:TOKEN@…` sends it. */
export function authenticatedUrl(cloneUrl: string, token: string): string {
  const url = new URL(cloneUrl);
  url.username = 'x-access-token';
  url.password = token;
  return url.toString();
}

/** A work repository with one commit of `files` on `main`, to seed the emulator from. */
export function seedRepository(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '--quiet', '--initial-branch=main']);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '--quiet', '-m', 'seed']);
  return dir;
}

export const DEFAULT_SEED = {
  'README.md': '# flight-delay\n',
  'manifests/production.json': '{\n  "champion": "2001-04-01-5a98e494"\n}\n',
  '.github/workflows/train.yml': [
    'name: train',
    'on:',
    '  workflow_dispatch:',
    '    inputs:',
    '      as-of:',
    '        description: data clock',
    '        required: false',
    '      reason:',
    '        required: true',
    '        default: scheduled',
    '  schedule:',
    "    - cron: '0 3 * * 1'",
    'jobs:',
    '  train:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - run: echo train',
    '',
  ].join('\n'),
};

export async function startTestEmulator(
  options: { protection?: ProtectionInput; seed?: Record<string, string>; private?: boolean } = {},
): Promise<TestEmulator> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-emulator-'));
  const seed = seedRepository(path.join(dir, 'seed'), options.seed ?? DEFAULT_SEED);
  const emulator = await startEmulator({
    repositories: [
      {
        owner: TEST_OWNER,
        name: TEST_REPO,
        path: path.join(dir, 'repos', `${TEST_REPO}.git`),
        seedFrom: seed,
        private: options.private ?? true,
        protection: options.protection,
      },
    ],
  });
  const forgeFor = (token: string) =>
    createOctokitForge({
      token,
      owner: TEST_OWNER,
      repo: TEST_REPO,
      baseUrl: emulator.apiUrl,
      writeIntervalMs: 0,
      retries: 0,
    });
  return {
    emulator,
    fullName: `${TEST_OWNER}/${TEST_REPO}`,
    owner: TEST_OWNER,
    repo: TEST_REPO,
    forge: forgeFor(emulator.adminToken),
    forgeFor,
    dir,
    assertNoViolations() {
      if (emulator.violations.length > 0) {
        throw new Error(`OpenAPI violations:\n${JSON.stringify(emulator.violations, null, 2)}`);
      }
    },
    async close() {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
