/**
 * Markdown for the job summaries of the actions (GitHub shows them on the run page; the emulator
 * keeps them with the run). Pure functions over the results; the actions write them.
 */
import type { ModelCard } from '../registry/card.ts';
import type { DeployResult } from './deploy.ts';
import type { PublishedPromotion } from './promotion-pr.ts';
import type { RollbackPushResult } from './rollback-push.ts';

const f4 = (x: number | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '—');
const n = (x: number) => x.toLocaleString('en-US');

export function trainingSummary(card: ModelCard, asOfSource: string, reason?: string): string {
  const e = card.metrics.evaluation;
  const v = card.metrics.validation;
  const d = card.data;
  const timings = Object.entries(card.timings)
    .map(([k, ms]) => `${k.replace(/Ms$/, '')} ${(ms / 1000).toFixed(1)} s`)
    .join(', ');
  return [
    `## Trained \`${card.version}\``,
    '',
    `asOf **${d.asOf}** (${asOfSource})${reason ? ` — ${reason}` : ''}; ${card.trees} trees; artifact sha256 \`${card.artifact.sha256}\` (${n(card.artifact.bytes)} bytes)`,
    '',
    '| window | from | to | flights | delayed |',
    '|---|---|---|---:|---:|',
    ...(['train', 'validation', 'evaluation'] as const).map(
      (w) => `| ${w} | ${d[w].start} | ${d[w].end} | ${n(d[w].rows)} | ${n(d[w].positives)} |`,
    ),
    '',
    '| metric | validation | evaluation week |',
    '|---|---:|---:|',
    `| AUC | ${f4(v.auc)} | ${f4(e.auc)} |`,
    `| recall@20% | ${f4(v.recallAtBudget)} | ${f4(e.recallAtBudget)} |`,
    `| precision@20% | ${f4(v.precisionAtBudget)} | ${f4(e.precisionAtBudget)} |`,
    `| log loss | ${f4(v.logLoss)} | ${f4(e.logLoss)} |`,
    `| ECE | ${f4(v.ece)} | ${f4(e.ece)} |`,
    ...(card.baseline
      ? ['', `Baseline ${card.baseline.algorithm}: evaluation AUC ${f4(card.baseline.evaluation.auc)}.`]
      : []),
    '',
    `Timings: ${timings}.`,
    '',
  ].join('\n');
}

export function promotionSummary(p: PublishedPromotion): string {
  return [
    `## Promotion pull request [#${p.pullRequest.number}](${p.pullRequest.htmlUrl}) ${p.pullRequestCreated ? 'opened' : 'updated'}`,
    '',
    `Branch \`${p.branch}\` at \`${p.headSha}\`: \`${p.promotion.version}\` over \`${p.promotion.previousVersion ?? 'none'}\`. The gate report is [the model-gate comment](${p.comment.htmlUrl}); \`model-gate\` is ${p.evidence.verdict === 'pass' ? 'success' : '**failure** (the candidate failed the gate: branch protection refuses the merge)'} on the head.`,
    '',
  ].join('\n');
}

export function deploySummary(r: DeployResult, environment: string): string {
  const lines = [
    `## Deployment ${r.deployment.id} to \`${environment}\`: ${r.state === 'success' ? '✅' : '❌'} ${r.state}`,
    '',
  ];
  if (r.champion) {
    lines.push(
      '| | |',
      '|---|---|',
      `| champion | \`${r.champion.version}\` |`,
      `| artifact | \`${r.champion.path}\` (${n(r.champion.bytes)} bytes) |`,
      `| sha256 | \`${r.champion.sha256}\` (matches the manifest) |`,
      `| golden outputs | ${r.champion.goldenExamples} reproduced in ONNX Runtime, max abs diff ${r.champion.goldenMaxDifference.toExponential(2)} |`,
    );
    if (r.reload)
      lines.push(
        `| reload hook | ${r.reload.status} ${r.reload.result} in ${r.reload.ms} ms, serving \`${r.reload.servingVersion ?? 'nothing'}\` |`,
      );
    else lines.push('| reload hook | not configured: the service picks the manifest up on its next poll |');
  }
  if (r.error) lines.push('', `**Failed**: ${r.error}`);
  lines.push('');
  return lines.join('\n');
}

export function rollbackSummary(r: RollbackPushResult): string {
  return [
    `## Rolled back \`${r.rolledBackVersion}\`: \`${r.restoredChampion}\` is champion again`,
    '',
    `Revert commit \`${r.commit}\` of the promotion \`${r.reverted}\`, pushed to \`${r.branch}\`. The restored artifact \`${r.restored.path}\` was verified (sha256 \`${r.restored.sha256}\`, ONNX Runtime, ${r.restored.goldenExamples} golden outputs). The deploy workflow runs on the push.`,
    '',
  ].join('\n');
}
