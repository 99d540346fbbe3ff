/**
 * closeSupersededFailures against the GitHub emulator: a new promotion pull request closes the older
 * promotion pull requests whose model-gate failed (with a comment naming it), and leaves passing
 * promotions, pending ones and other branches alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../testing/emulator.ts';
import type { CommitState } from '../forge/forge.ts';
import { closeSupersededFailures, MODEL_GATE_CONTEXT, promotionBranch } from './promotion-pr.ts';

let test: TestEmulator;

beforeAll(async () => {
  test = await startTestEmulator();
});

afterAll(async () => {
  await test?.close();
  test?.assertNoViolations();
});

async function pullRequest(branch: string, gate: CommitState | null) {
  const commit = await test.forge.commitFiles({ branch, message: branch, files: { [`${branch}.txt`]: `${branch}\n` } });
  if (gate) await test.forge.createCommitStatus(commit.sha, { state: gate, context: MODEL_GATE_CONTEXT });
  return test.forge.createPullRequest({ head: branch, base: 'main', title: branch });
}

describe('closeSupersededFailures', () => {
  it('closes failing promotion pull requests only, naming the newer one', async () => {
    const failing = await pullRequest(promotionBranch('2001-05-08-aaaaaaaa'), 'failure');
    const passing = await pullRequest(promotionBranch('2001-05-08-bbbbbbbb'), 'success');
    const pending = await pullRequest(promotionBranch('2001-05-08-cccccccc'), null);
    const other = await pullRequest('feature/failing-ci', 'failure');
    const newer = await pullRequest(promotionBranch('2001-05-15-dddddddd'), 'failure');
    const lines: string[] = [];

    const closed = await closeSupersededFailures(test.forge, { by: newer, base: 'main', log: (l) => lines.push(l) });

    expect(closed).toEqual([failing.number]);
    const states = await Promise.all(
      [failing, passing, pending, other, newer].map(async (pr) => (await test.forge.getPullRequest(pr.number)).state),
    );
    expect(states).toEqual(['closed', 'open', 'open', 'open', 'open']);
    const [comment] = await test.forge.listIssueComments(failing.number);
    expect(comment?.body).toContain(`Superseded by #${newer.number}`);
    expect(await test.forge.getRef(`heads/${failing.head.ref}`)).toBeDefined();
    expect(lines).toEqual([expect.stringContaining(`closed #${failing.number}`)]);
    // Run again: nothing left to close.
    expect(await closeSupersededFailures(test.forge, { by: newer, base: 'main' })).toEqual([]);
  });
});
