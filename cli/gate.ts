/**
 * npm run gate -- --candidate <dir>
 * Runs the quality gate on a trained candidate against the current champion and writes
 * <dir>/evidence.json and <dir>/gate-report.md. Exit 0 = pass, 1 = fail, 2 = error.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runGate } from '../gates/run-gate.ts';
import { UsageError, exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run gate -- --candidate <dir> [options]

  --candidate <dir>     folder with model.onnx and card.json (from npm run train)
  --repo <dir>          repository with manifests/ and models/ (default: .)
  --policy <file>       gate policy (default: <repo>/gates/policy.json)
  --out <dir>           where evidence.json and gate-report.md go (default: the candidate folder)
  --eval-start <iso>    evaluate on [eval-start, eval-end) instead of the card's evaluation week
  --eval-end <iso>
  --quiet               no progress lines

exit status: 0 the gate passed, 1 it failed, 2 it could not run
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      candidate: { type: 'string' },
      repo: { type: 'string', default: '.' },
      policy: { type: 'string' },
      out: { type: 'string' },
      'eval-start': { type: 'string' },
      'eval-end': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.candidate) throw new UsageError('--candidate <dir> is required');
  if (Boolean(values['eval-start']) !== Boolean(values['eval-end']))
    throw new UsageError('--eval-start and --eval-end go together');
  const started = performance.now();
  const log = values.quiet
    ? undefined
    : (line: string) =>
        process.stderr.write(`[gate ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
  const run = await runGate({
    repoDir: values.repo,
    candidateDir: values.candidate,
    policyFile: values.policy,
    outDir: values.out,
    window:
      values['eval-start'] && values['eval-end'] ? { start: values['eval-start'], end: values['eval-end'] } : undefined,
    log,
  });
  const { evidence: e } = run;
  const against = e.champion ? `vs champion ${e.champion.version}` : '(first model, no champion)';
  const lines = [
    `gate ${e.verdict.toUpperCase()}: ${e.summary.passed} passed, ${e.summary.failed} failed, ${e.summary.skipped} skipped — candidate ${e.candidate.version} ${against}`,
    `  AUC ${e.metrics.candidate.auc.toFixed(4)}${e.metrics.champion ? ` (champion ${e.metrics.champion.auc.toFixed(4)})` : ''}, recall@${Math.round(e.policy.values.alertBudget * 100)}% ${e.metrics.candidate.recallAtBudget.toFixed(4)}${e.metrics.champion ? ` (champion ${e.metrics.champion.recallAtBudget.toFixed(4)})` : ''}, ${e.evaluation.rows.toLocaleString('en-US')} flights ${e.evaluation.start} → ${e.evaluation.end}, ${(e.timings.totalMs / 1000).toFixed(1)} s`,
    ...e.checks.filter((c) => c.status === 'fail').map((c) => `  FAIL ${c.id}: ${c.detail} (threshold ${c.threshold})`),
    `report:   ${path.relative(process.cwd(), run.reportPath) || run.reportPath}`,
    `evidence: ${path.relative(process.cwd(), run.evidencePath) || run.evidencePath}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  // On GitHub Actions the report also lands on the run's summary page.
  if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, `${run.report}\n`);
  return e.verdict === 'pass' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => exitWithError(error, USAGE),
);
