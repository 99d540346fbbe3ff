/** Each security rule finds its seeded violation (testing/workflows/security/), at its line, and nothing else. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNNABLE_SAMPLES, SAMPLE_WORKFLOWS } from '../../testing/workflow-repo.ts';
import { checkWorkflowSecurity, SECURITY_RULES } from './security-rules.ts';

async function findings(sample: string) {
  const content = await readFile(path.join(SAMPLE_WORKFLOWS, sample), 'utf8');
  return checkWorkflowSecurity({ path: `.github/workflows/${path.basename(sample)}`, content });
}

const seeded: [file: string, rule: (typeof SECURITY_RULES)[number], line: number, message: RegExp][] = [
  ['permissions-missing.yml', 'permissions', 6, /job 'build' has no permissions:/],
  ['permissions-write-all.yml', 'permissions', 9, /job 'build' uses permissions: write-all/],
  ['permissions-workflow-write.yml', 'permissions', 5, /write access at workflow level reaches every job/],
  ['unpinned-tag.yml', 'pinned-actions', 10, /actions\/setup-node@v7 is not pinned to a full commit SHA/],
  ['unpinned-no-comment.yml', 'pinned-actions', 10, /has no version comment/],
  ['run-expression.yml', 'run-expressions', 11, /\$\{\{ github\.event\.pull_request\.title \}\}/],
  ['persist-credentials.yml', 'persist-credentials', 11, /set persist-credentials: false/],
  ['pull-request-target.yml', 'pull-request-target', 2, /use pull_request/],
];

describe('workflow security rules', () => {
  for (const [file, rule, line, message] of seeded) {
    it(`${rule}: finds the violation seeded in ${file}`, async () => {
      const found = await findings(`security/${file}`);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ file: `.github/workflows/${file}`, check: rule, line });
      expect(found[0].message).toMatch(message);
    });
  }

  it('every rule has a seeded violation', () => {
    expect(new Set(seeded.map(([, rule]) => rule))).toEqual(new Set(SECURITY_RULES));
  });

  it('passes a job that pushes with its own write permission and its checkout credentials', async () => {
    expect(await findings('security/clean-push.yml')).toEqual([]);
  });

  it('passes the runner samples', async () => {
    for (const sample of RUNNABLE_SAMPLES) {
      expect(await findings(sample), sample).toEqual([]);
    }
  });
});
