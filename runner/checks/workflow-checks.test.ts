/**
 * actionlint, action-validator and the runner's loader over the samples: the valid samples and the
 * sample action have zero findings; each linter reports what it should on broken ones; an empty
 * repository passes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNNABLE_SAMPLES, SAMPLE_WORKFLOWS } from '../../testing/workflow-repo.ts';
import { checkRepositoryWorkflows, checkWorkflowFiles } from './workflow-checks.ts';

async function sample(file: string) {
  return {
    path: `.github/workflows/${path.basename(file)}`,
    content: await readFile(path.join(SAMPLE_WORKFLOWS, file), 'utf8'),
  };
}

const greetAction = async () => ({
  path: 'actions/greet/action.yml',
  content: await readFile(path.join(SAMPLE_WORKFLOWS, 'actions/greet/action.yml'), 'utf8'),
});

describe('workflow checks', () => {
  it('finds nothing in the valid samples and the sample node24 action', async () => {
    // expression-error.yml fails on purpose when evaluated, which actionlint sees statically.
    const workflows = await Promise.all(RUNNABLE_SAMPLES.filter((s) => s !== 'expression-error.yml').map(sample));
    expect(await checkWorkflowFiles({ workflows, actions: [await greetAction()] })).toEqual([]);
  });

  it('reports what each checker finds in broken files', async () => {
    const found = await checkWorkflowFiles({
      workflows: await Promise.all(
        ['expression-error.yml', 'invalid/schema-error.yml', 'invalid/unknown-action.yml'].map(sample),
      ),
      actions: [{ path: 'actions/bad/action.yml', content: 'name: bad\nruns:\n  using: node24\n  main: main.ts\n' }],
    });
    const summary = found.map((f) => `${f.file}:${f.line ?? '-'} ${f.check}`);
    expect(summary.sort()).toEqual(
      [
        '.github/workflows/expression-error.yml:13 actionlint',
        '.github/workflows/schema-error.yml:8 actionlint',
        '.github/workflows/schema-error.yml:- action-validator',
        '.github/workflows/schema-error.yml:8 runner',
        '.github/workflows/unknown-action.yml:8 runner',
        'actions/bad/action.yml:- action-validator',
        'actions/bad/action.yml:1 runner',
      ].sort(),
    );
    expect(found.find((f) => f.file === 'actions/bad/action.yml' && f.check === 'action-validator')?.message).toMatch(
      /description/,
    );
  });

  it('passes a repository with no workflows and no actions', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'taxiway-empty-repo-'));
    try {
      expect(await checkRepositoryWorkflows(root)).toEqual({ workflows: [], actions: [], findings: [] });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
