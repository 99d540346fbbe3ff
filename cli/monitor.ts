/**
 * npm run monitor -- (--prometheus-url <url> | --service-url <url>) [--act]
 * Evaluates the alert rules of monitoring/ and prints the table the monitor workflow writes as its
 * summary, with what it would do. With --act it does it (GITHUB_TOKEN, GITHUB_REPOSITORY and
 * GITHUB_API_URL name the forge; the checkout is --repo), as actions/monitor does.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { octokitForgeFromEnv } from '../lib/forge/octokit-forge.ts';
import { decide, evaluate, monitorSummary, rulesTable, runMonitor } from '../lib/monitoring/monitor.ts';
import { loadRuleFile } from '../lib/monitoring/rules.ts';
import { exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run monitor -- [options]

  --prometheus-url <url>  a Prometheus that loads monitoring/recording.yml and alerts.yml
  --service-url <url>     else: scrape <url>/metrics and evaluate the rules over it
  --rules <files>         rule files, recording first (default: monitoring/recording.yml monitoring/alerts.yml)
  --act                   open the rollback pull request / dispatch the retrain (needs GITHUB_TOKEN, GITHUB_REPOSITORY)
  --repo <dir>            the checkout a rollback reverts in (default: .)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'prometheus-url': { type: 'string' },
      'service-url': { type: 'string' },
      rules: { type: 'string', default: 'monitoring/recording.yml monitoring/alerts.yml' },
      act: { type: 'boolean', default: false },
      repo: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const ruleFiles = await Promise.all(
    values.rules
      .split(/\s+/)
      .filter(Boolean)
      .map((f) => loadRuleFile(path.resolve(values.repo, f))),
  );
  const options = { ruleFiles, prometheusUrl: values['prometheus-url'], serviceUrl: values['service-url'] };
  if (values.act) {
    const token = process.env.GITHUB_TOKEN;
    if (!token)
      throw new Error('--act needs GITHUB_TOKEN (an App installation token: its pull request starts workflows)');
    const result = await runMonitor({
      ...options,
      forge: octokitForgeFromEnv(process.env, token),
      repoDir: values.repo,
      pushToken: token,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(monitorSummary(result));
    return;
  }
  const evaluation = await evaluate(options);
  const decision = decide(evaluation);
  const names = (list: { alert: string }[]) => [...new Set(list.map((a) => a.alert))].join(', ');
  process.stdout.write(
    [
      ...rulesTable(evaluation),
      '',
      `would roll back: ${decision.rollback.length ? names(decision.rollback) : 'no'}`,
      `would retrain:   ${decision.retrain.length ? names(decision.retrain) : 'no'}`,
      '(without --act nothing is changed)',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => exitWithError(error, USAGE));
