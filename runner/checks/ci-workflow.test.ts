/**
 * .github/workflows/ci.yml, cheaply: running it on the local runner would be the whole test suite,
 * so this checks that the runner loads it and that every command its `run:` steps call exists —
 * npm scripts in package.json, binaries of installed packages, repository scripts — and that its
 * lint covers what the issue asks of CI (eslint, prettier, the type check, the workflow lint).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unrunnableSteps } from '../runner.ts';
import { STAND_INS } from '../stand-ins/index.ts';
import { loadWorkflow, type Workflow } from '../workflow.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CI = '.github/workflows/ci.yml';

interface PackageJson {
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Every `run:` command of the workflow, one per line, with its job. */
function runCommands(workflow: Workflow): { job: string; command: string }[] {
  return workflow.jobs.flatMap((job) =>
    job.steps.flatMap((step) => {
      if (!step.run) return [];
      const text = (step.run as { value?: unknown }).value;
      if (typeof text !== 'string') throw new Error(`${step.place}: run: is not a literal string`);
      return text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
        .map((command) => ({ job: job.id, command }));
    }),
  );
}

/** Why `command` would not run in this repository, or null. */
function missing(command: string, pkg: PackageJson): string | null {
  const words = command.split(/\s+/).filter((w) => !/^(sudo|-[-\w]+)$/.test(w));
  const [tool, sub, ...rest] = words;
  if (tool === 'npm' && sub === 'ci') return existsSync(path.join(ROOT, 'package-lock.json')) ? null : 'no lockfile';
  if (tool === 'npm' && sub === 'run') return rest[0] in pkg.scripts ? null : `no npm script "${rest[0]}"`;
  if (tool === 'npm' && sub === 'test') return 'test' in pkg.scripts ? null : 'no npm script "test"';
  if (tool === 'npx') {
    const bin = path.join(ROOT, 'node_modules/.bin', sub);
    const declared = { ...pkg.dependencies, ...pkg.devDependencies };
    return sub in declared && existsSync(bin) ? null : `npx ${sub} is not an installed dependency`;
  }
  if (tool === 'sh' || tool === 'bash') return existsSync(path.join(ROOT, sub)) ? null : `no file ${sub}`;
  return `unknown command ${tool}`;
}

describe('ci.yml', () => {
  it('loads in the local runner (schema, expressions, known actions) and runs on pushes to main and pull requests', async () => {
    const workflow = await loadWorkflow({ path: CI, content: await readFile(path.join(ROOT, CI), 'utf8') });
    expect(unrunnableSteps(workflow, STAND_INS)).toEqual([]);
    expect(Object.keys(workflow.events).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.jobs.map((j) => j.id).sort()).toEqual(['lint', 'test']);
  });

  it('calls only commands that exist: npm scripts, installed binaries, repository scripts', async () => {
    const workflow = await loadWorkflow({ path: CI, content: await readFile(path.join(ROOT, CI), 'utf8') });
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
    const commands = runCommands(workflow);
    expect(commands.map((c) => `${c.job}: ${c.command}`)).toEqual([
      'lint: npm ci',
      'lint: npm run lint',
      'test: npm ci',
      'test: sudo sh scripts/setup-system.sh test',
      'test: npx vitest run',
    ]);
    expect(commands.map((c) => [c.command, missing(c.command, pkg)]).filter(([, why]) => why !== null)).toEqual([]);
    // The lint step is eslint, prettier, the type check and the workflow lint.
    expect(pkg.scripts.lint).toMatch(/eslint \..*prettier --check \..*tsc --noEmit.*npm run --silent lint:workflows/);
  });

  it('reports a command that does not exist', () => {
    const pkg: PackageJson = { scripts: { lint: 'eslint .' }, devDependencies: {} };
    expect(missing('npm run lint:everything', pkg)).toBe('no npm script "lint:everything"');
    expect(missing('npx jest', pkg)).toBe('npx jest is not an installed dependency');
    expect(missing('sh scripts/nope.sh', pkg)).toBe('no file scripts/nope.sh');
    expect(missing('make test', pkg)).toBe('unknown command make');
  });
});
