/**
 * npm run promote -- --candidate <dir> [--branch]
 * Promotes a candidate that passed the gate: one commit that adds it to the registry, makes it
 * champion in manifests/production.json (the old champion becomes previous) and regenerates
 * models/REGISTRY.md. With --branch the commit goes on promote/<version> for a pull request.
 */
import { parseArgs } from 'node:util';
import { promote } from '../lib/release/promote.ts';
import { UsageError, exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run promote -- --candidate <dir> [options]

  --candidate <dir>     folder with model.onnx, card.json and the gate's evidence.json
  --branch              commit on a new branch promote/<version> (the pull-request flow)
  --branch-name <name>  commit on a new branch with this name
  --repo <dir>          the repository (default: .)
  --run-id <id>         the run that trained the candidate (default: the card's run)
  --run-url <url>
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      candidate: { type: 'string' },
      branch: { type: 'boolean', default: false },
      'branch-name': { type: 'string' },
      repo: { type: 'string', default: '.' },
      'run-id': { type: 'string' },
      'run-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.candidate) throw new UsageError('--candidate <dir> is required');
  if (values['run-url'] && !/^https?:\/\//.test(values['run-url']))
    throw new UsageError(`--run-url must be an http(s) URL, got ${values['run-url']}`);
  const run = values['run-id'] || values['run-url'] ? { id: values['run-id'], url: values['run-url'] } : undefined;
  const result = await promote({
    repoDir: values.repo,
    candidateDir: values.candidate,
    // Without --branch the CLI commits on the current branch: the local flow.
    branch: values['branch-name'] ?? values.branch,
    run,
  });
  process.stdout.write(
    [
      `promoted ${result.version} (sha256 ${result.sha256})`,
      `  previous: ${result.previousVersion ?? 'none (first champion)'}`,
      `  commit ${result.commit} on ${result.branch}`,
      result.branch.startsWith('promote/') ? `  next: git push origin ${result.branch} and open a pull request` : '',
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
}

main().catch((error: unknown) => exitWithError(error, USAGE));
