/** npm run workflow: the CLI over a sample repository, as a person runs it. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowRepo, type WorkflowRepo } from '../testing/workflow-repo.ts';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/run-workflow.ts', ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** A dispatch of dispatch.yml on the sample repository, plus extra flags. */
const dispatch = (repoDir: string, ...extra: string[]) =>
  cli(['--event', 'workflow_dispatch', '--workflow', 'dispatch.yml', '--repo', repoDir, ...extra]);

describe('npm run workflow', () => {
  let repo: WorkflowRepo;
  beforeAll(async () => {
    repo = await workflowRepo({ workflows: ['dispatch.yml', 'invalid/schema-error.yml'] });
  });
  afterAll(async () => repo?.cleanup());

  it('refuses a repository whose workflow files are broken, with file, line and problem (exit 2)', async () => {
    const result = await dispatch(repo.dir, '--input', 'reason=x');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(".github/workflows/schema-error.yml (Line: 8, Col: 9): Unexpected value 'shel'");
  });

  it('runs a dispatch with inputs, prints the live log and the run, and records it', async () => {
    await repo.commit({ '.github/workflows/schema-error.yml': null });
    const runs = path.join(repo.dir, '..', 'cli-runs');
    const result = await dispatch(
      repo.dir,
      '--input',
      'reason=cli check',
      '--input',
      'size=large',
      '--name',
      'taxiway/flights',
      '--runs',
      runs,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^show \| [\d:.]+ reason=cli check advance-boolean=false raw= size=large event=workflow_dispatch$/m,
    );
    expect(result.stdout).toContain('run 1 .github/workflows/dispatch.yml: success (show success, history success)');
    expect(result.stdout).toContain(`recorded in ${runs}`);
  });

  it('says GitHub would refuse a dispatch of a workflow without that trigger', async () => {
    const result = await cli(['--event', 'workflow_dispatch', '--workflow', 'nope.yml', '--repo', repo.dir, '--quiet']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nope.yml: no such workflow in .github/workflows');
  });
});
