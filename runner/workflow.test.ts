/** Broken workflow files make the runner fail with file, line and problem. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNNABLE_SAMPLES, SAMPLE_WORKFLOWS } from '../testing/workflow-repo.ts';
import { unrunnableSteps } from './runner.ts';
import { STAND_INS } from './stand-ins/index.ts';
import { loadWorkflow, WorkflowFileError } from './workflow.ts';

async function load(sample: string) {
  const content = await readFile(path.join(SAMPLE_WORKFLOWS, sample), 'utf8');
  const workflow = await loadWorkflow({ path: `.github/workflows/${path.basename(sample)}`, content });
  const problems = unrunnableSteps(workflow, STAND_INS);
  if (problems.length) throw new WorkflowFileError(workflow.path, problems);
  return workflow;
}

async function problemsOf(sample: string): Promise<string[]> {
  try {
    await load(sample);
  } catch (error) {
    if (error instanceof WorkflowFileError) return error.problems;
    throw error;
  }
  throw new Error(`${sample} loaded without problems`);
}

describe('workflow files the runner refuses', () => {
  it('a schema error, with file, line and the unexpected key', async () => {
    expect(await problemsOf('invalid/schema-error.yml')).toEqual([
      ".github/workflows/schema-error.yml (Line: 8, Col: 9): Unexpected value 'shel'",
    ]);
  });

  it('an unknown third-party action, with file, line and the stand-ins it could have used', async () => {
    const [problem] = await problemsOf('invalid/unknown-action.yml');
    expect(problem).toMatch(
      /^\.github\/workflows\/unknown-action\.yml \(Line: 8, Col: 15\): unknown action actions\/github-script@f28e40c7f34bde8b3046d885e986cb6290c5673b: the local runner has no stand-in for it \(stand-ins: actions\/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7\.0\.1, /,
    );
  });

  it('a stand-in action not pinned to a known commit', async () => {
    expect(await problemsOf('invalid/unpinned-action.yml')).toEqual([
      '.github/workflows/unpinned-action.yml (Line: 8, Col: 15): actions/checkout@v7 is not a pinned version the local runner knows: pin one of actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1',
    ]);
  });

  it('expressions that do not parse and features the runner lacks', async () => {
    const content = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    strategy:',
      '      matrix: { os: [a, b] }',
      '    steps:',
      '      - run: echo ${{ github.sha == }}',
    ].join('\n');
    await expect(loadWorkflow({ path: 'w.yml', content })).rejects.toThrow(
      "w.yml (Line: 8, Col: 14): Unexpected end of expression: '=='",
    );
    const valid = content.replace('${{ github.sha == }}', 'ok');
    await expect(loadWorkflow({ path: 'w.yml', content: valid })).rejects.toThrow(
      'w.yml (Line: 5, Col: 5): jobs.a.strategy is not supported by the local runner',
    );
  });

  it('loads every valid sample', async () => {
    for (const sample of RUNNABLE_SAMPLES) {
      await expect(load(sample)).resolves.toMatchObject({ path: `.github/workflows/${sample}` });
    }
  });
});
