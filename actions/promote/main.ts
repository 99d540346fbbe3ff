/** The promote action: inputs → lib/gitops/promotion-pr.ts publishPromotion → outputs and summary. */
import * as core from '@actions/core';
import { octokitForgeFromEnv } from '../../lib/forge/octokit-forge.ts';
import { publishPromotion } from '../../lib/gitops/promotion-pr.ts';
import { promotionSummary } from '../../lib/gitops/summaries.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

export async function run(): Promise<void> {
  try {
    const token = core.getInput('token', { required: true });
    const clock = core.getInput('data-clock');
    const published = await core.group('Open or update the promotion pull request', () =>
      publishPromotion({
        repoDir: '.',
        candidateDir: core.getInput('candidate', { required: true }),
        forge: octokitForgeFromEnv(process.env, token),
        pushToken: token,
        base: core.getInput('base') || undefined,
        dataClock: clock ? { asOf: clock } : null,
        run: actionsRun(process.env),
        reason: core.getInput('reason') || undefined,
        publishFailing: core.getBooleanInput('publish-failing'),
        identity: { name: core.getInput('committer-name'), email: core.getInput('committer-email') },
        log: (line) => core.info(line),
      }),
    );
    core.setOutput('pull-request', String(published.pullRequest.number));
    core.setOutput('pull-request-url', published.pullRequest.htmlUrl);
    core.setOutput('branch', published.branch);
    core.setOutput('head-sha', published.headSha);
    core.setOutput('version', published.promotion.version);
    core.setOutput('verdict', published.evidence.verdict);
    await core.summary.addRaw(promotionSummary(published)).write();
    const line = `promotion pull request #${published.pullRequest.number} for ${published.promotion.version}: ${published.pullRequest.htmlUrl}`;
    if (published.evidence.verdict === 'pass') core.notice(line);
    else core.warning(`${line} — the candidate failed the gate; model-gate is failure and the merge is refused`);
  } catch (error) {
    core.setFailed(`promotion failed: ${errorMessage(error)}`);
  }
}
