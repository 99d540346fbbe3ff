/** The monitor action: inputs → lib/monitoring/monitor.ts runMonitor → outputs and the rules table as the summary. */
import path from 'node:path';
import * as core from '@actions/core';
import { octokitForgeFromEnv } from '../../lib/forge/octokit-forge.ts';
import { monitorSummary, runMonitor } from '../../lib/monitoring/monitor.ts';
import { loadRuleFile } from '../../lib/monitoring/rules.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

export async function run(): Promise<void> {
  try {
    const token = core.getInput('token', { required: true });
    const repoDir = core.getInput('repo') || '.';
    const ruleFiles = await Promise.all(
      core
        .getInput('rules')
        .split(/\s+/)
        .filter(Boolean)
        .map((file) => loadRuleFile(path.resolve(repoDir, file))),
    );
    const result = await core.group('Evaluate the alert rules and act', () =>
      runMonitor({
        ruleFiles,
        prometheusUrl: core.getInput('prometheus-url') || undefined,
        serviceUrl: core.getInput('service-url') || undefined,
        job: core.getInput('job') || undefined,
        forge: octokitForgeFromEnv(process.env, token),
        repoDir,
        pushToken: token,
        retrainWorkflow: core.getInput('retrain-workflow') || undefined,
        retrainCooldownHours: Number(core.getInput('retrain-cooldown-hours') || '24'),
        run: actionsRun(process.env),
        identity: { name: core.getInput('committer-name'), email: core.getInput('committer-email') },
        log: (line) => core.info(line),
      }),
    );
    const firing = result.evaluation.rules.filter((r) => r.state === 'firing').map((r) => r.alert);
    core.setOutput('source', result.evaluation.source);
    core.setOutput('firing', firing.join(','));
    core.setOutput('rollback', result.rollback.kind);
    const pr = 'pullRequest' in result.rollback ? result.rollback.pullRequest : undefined;
    core.setOutput('pull-request', pr ? String(pr.number) : '');
    core.setOutput('pull-request-url', pr?.htmlUrl ?? '');
    core.setOutput('retrain', result.retrain.kind);
    await core.summary.addRaw(monitorSummary(result)).write();
    for (const row of result.evaluation.rules.filter((r) => r.state === 'firing'))
      core.warning(`${row.alert} firing (${row.action}): ${row.active.map((a) => a.summary).join('; ')}`);
    if (result.rollback.kind === 'opened') core.notice(`opened rollback pull request #${pr!.number} ${pr!.htmlUrl}`);
    if (result.retrain.kind === 'dispatched')
      core.notice(`dispatched ${result.retrain.workflow}: ${result.retrain.reason}`);
  } catch (error) {
    core.setFailed(`monitor failed: ${errorMessage(error)}`);
  }
}
