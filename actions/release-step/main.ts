/** The release-step action: inputs → lib/gitops/progressive.ts publishReleaseStep → outputs and summary. */
import * as core from '@actions/core';
import { octokitForgeFromEnv } from '../../lib/forge/octokit-forge.ts';
import { metricsUrlsOf, parseStepPolicy } from '../../lib/gitops/progressive-evidence.ts';
import { publishReleaseStep, releaseStepSummary } from '../../lib/gitops/progressive.ts';
import { parseReleaseStep, parseShare } from '../../lib/release/challenger-step.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

export async function run(): Promise<void> {
  try {
    const token = core.getInput('token', { required: true });
    const step = parseReleaseStep(core.getInput('step', { required: true }));
    const share = step === 'canary' ? parseShare(core.getInput('share', { required: true })) : undefined;
    const metricsUrls = metricsUrlsOf(core.getInput('service-url'));
    if (metricsUrls.length === 0)
      throw new Error('service-url is empty: name the service (each replica) whose /metrics holds the evidence');
    const published = await core.group(`Open or update the ${step} pull request`, () =>
      publishReleaseStep({
        repoDir: core.getInput('repo') || '.',
        forge: octokitForgeFromEnv(process.env, token),
        pushToken: token,
        version: core.getInput('version', { required: true }),
        step,
        share,
        reason: core.getInput('reason') || undefined,
        metricsUrls,
        policy: parseStepPolicy(core.getInput('policy')),
        base: core.getInput('base') || undefined,
        run: actionsRun(process.env),
        identity: { name: core.getInput('committer-name'), email: core.getInput('committer-email') },
        log: (line) => core.info(line),
      }),
    );
    core.setOutput('pull-request', String(published.pullRequest.number));
    core.setOutput('pull-request-url', published.pullRequest.htmlUrl);
    core.setOutput('branch', published.branch);
    core.setOutput('head-sha', published.result.commit);
    core.setOutput('ready', String(published.ready));
    await core.summary.addRaw(releaseStepSummary(published)).write();
    core.notice(
      `${step} pull request #${published.pullRequest.number} for ${published.result.version}: ${published.pullRequest.htmlUrl}`,
    );
    for (const bar of published.bars.filter((b) => !b.pass)) core.warning(`${bar.id} not met: ${bar.detail}`);
  } catch (error) {
    core.setFailed(`release step failed: ${errorMessage(error)}`);
  }
}
