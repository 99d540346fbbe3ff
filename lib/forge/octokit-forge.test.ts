import { afterAll, expect } from 'vitest';
import { startTestEmulator } from '../../testing/emulator.ts';
import { runForgeContract } from './forge.case.test.ts';

let violations: () => void = () => {};

runForgeContract('octokit against the GitHub emulator', async () => {
  const test = await startTestEmulator();
  violations = () => test.assertNoViolations();
  return {
    forge: test.forge,
    protect: (branch, contexts) => test.emulator.protectBranch(test.fullName, { branch, requiredChecks: contexts }),
    close: () => test.close(),
  };
});

afterAll(() => {
  expect(violations).not.toThrow();
});
