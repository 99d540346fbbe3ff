/** The deploy action: inputs → lib/gitops/deploy.ts deploy → outputs and summary. */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { octokitForgeFromEnv } from '../../lib/forge/octokit-forge.ts';
import { deploy } from '../../lib/gitops/deploy.ts';
import { deploySummary } from '../../lib/gitops/summaries.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

export async function run(): Promise<void> {
  try {
    const token = core.getInput('token', { required: true });
    const environment = core.getInput('environment') || 'production';
    const url = core.getInput('service-url');
    const reloadToken = core.getInput('reload-token');
    if (url && !reloadToken) throw new Error('input service-url is set but reload-token is empty');
    if (reloadToken) core.setSecret(reloadToken);
    const result = await core.group(`Deploy ${github.context.sha.slice(0, 12)} to ${environment}`, () =>
      deploy({
        repoDir: core.getInput('repo') || '.',
        forge: octokitForgeFromEnv(process.env, token),
        sha: github.context.sha,
        environment,
        service: url ? { url, token: reloadToken } : null,
        run: actionsRun(process.env),
        log: (line) => core.info(line),
      }),
    );
    core.setOutput('deployment-id', String(result.deployment.id));
    core.setOutput('version', result.champion?.version ?? '');
    core.setOutput('state', result.state);
    await core.summary.addRaw(deploySummary(result, environment)).write();
    if (result.error) core.setFailed(`deployment ${result.deployment.id} failed: ${result.error}`);
  } catch (error) {
    core.setFailed(`deploy failed: ${errorMessage(error)}`);
  }
}
