/** The rollback action: inputs → lib/gitops/rollback-push.ts rollbackAndPush → outputs and summary. */
import * as core from '@actions/core';
import { octokitForgeFromEnv } from '../../lib/forge/octokit-forge.ts';
import { rollbackAndPush } from '../../lib/gitops/rollback-push.ts';
import { rollbackSummary } from '../../lib/gitops/summaries.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

export async function run(): Promise<void> {
  try {
    const token = core.getInput('token', { required: true });
    const result = await core.group('Revert the promotion and push it', () =>
      rollbackAndPush({
        repoDir: core.getInput('repo') || '.',
        forge: octokitForgeFromEnv(process.env, token),
        pushToken: token,
        version: core.getInput('version') || undefined,
        commit: core.getInput('commit') || undefined,
        reason: core.getInput('reason') || undefined,
        run: actionsRun(process.env),
        identity: { name: core.getInput('committer-name'), email: core.getInput('committer-email') },
        log: (line) => core.info(line),
      }),
    );
    core.setOutput('commit', result.commit);
    core.setOutput('rolled-back-version', result.rolledBackVersion);
    core.setOutput('restored-version', result.restoredChampion);
    await core.summary.addRaw(rollbackSummary(result)).write();
    core.notice(`rolled back ${result.rolledBackVersion}: ${result.restoredChampion} is champion again`);
  } catch (error) {
    core.setFailed(`rollback failed: ${errorMessage(error)}`);
  }
}
