/**
 * npm run lint:workflows
 * actionlint, action-validator, the security rules and the local runner's loader over every
 * workflow in .github/workflows/ and every actions/<name>/action.yml; exit 1 on any finding.
 */
import { parseArgs } from 'node:util';
import { formatFinding } from '../runner/checks/finding.ts';
import { checkRepositoryWorkflows } from '../runner/checks/workflow-checks.ts';
import { exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run lint:workflows -- [--root <dir>]

  --root <dir>   the repository (default: .)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { root: { type: 'string', default: '.' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const checked = await checkRepositoryWorkflows(values.root);
  for (const finding of checked.findings) process.stdout.write(`${formatFinding(finding)}\n`);
  const scope = `${checked.workflows.length} workflow file(s), ${checked.actions.length} action file(s)`;
  if (checked.findings.length) {
    process.stdout.write(`${scope}: ${checked.findings.length} finding(s)\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${scope}: no findings (actionlint, action-validator, security rules, local runner)\n`);
  }
}

main().catch((error: unknown) => exitWithError(error, USAGE));
