/** The train action: inputs → lib/training trainModel → outputs and the job summary. */
import path from 'node:path';
import * as core from '@actions/core';
import { CLOCK_STEP_DAYS, resolveAsOf } from '../../lib/gitops/data-clock.ts';
import { trainingSummary } from '../../lib/gitops/summaries.ts';
import { parseTrainRequest } from '../../lib/gitops/train-request.ts';
import { readDataClock } from '../../lib/manifest/store.ts';
import { trainModel } from '../../lib/training/run.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { nodeRepoFiles } from '../../lib/util/repo-files.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

export async function run(): Promise<void> {
  try {
    const request = parseTrainRequest(
      {
        asOf: core.getInput('as-of'),
        advanceClock: core.getInput('advance-clock'),
        trainDays: core.getInput('train-days'),
        params: core.getInput('params'),
      },
      CLOCK_STEP_DAYS,
    );
    const reason = core.getInput('reason');
    const resolved = resolveAsOf(request, await readDataClock(nodeRepoFiles('.')));
    const outDir = core.getInput('out') || path.join(process.env.RUNNER_TEMP ?? '.', 'candidate');
    core.info(`asOf ${resolved.asOf}: ${resolved.source}${reason ? ` — ${reason}` : ''}`);
    const { card, modelPath } = await core.group(`Train up to ${resolved.asOf}`, () =>
      trainModel({
        asOf: resolved.asOf,
        outDir,
        trainDays: request.trainDays,
        params: request.params,
        run: actionsRun(process.env),
        log: (line) => core.info(line),
      }),
    );
    core.setOutput('version', card.version);
    core.setOutput('sha256', card.artifact.sha256);
    core.setOutput('as-of', resolved.asOf);
    core.setOutput('data-clock', resolved.clock?.asOf ?? '');
    core.setOutput('candidate', path.dirname(modelPath));
    core.setOutput('auc', String(card.metrics.evaluation.auc));
    core.setOutput('recall-at-budget', String(card.metrics.evaluation.recallAtBudget));
    await core.summary.addRaw(trainingSummary(card, resolved.source, reason)).write();
    core.notice(
      `trained ${card.version}: evaluation AUC ${card.metrics.evaluation.auc.toFixed(4)}, recall@20% ${card.metrics.evaluation.recallAtBudget.toFixed(4)}`,
    );
  } catch (error) {
    core.setFailed(`training failed: ${errorMessage(error)}`);
  }
}
