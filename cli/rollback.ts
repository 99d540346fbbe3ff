/**
 * npm run rollback -- [--commit <sha>] [--reason <text>]
 * Reverts the last promotion (or the named one): manifests/production.json returns byte for byte
 * to the state before it, so the previous champion serves again.
 */
import { parseArgs } from 'node:util';
import { rollback } from '../lib/release/rollback.ts';
import { exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run rollback -- [options]

  --commit <sha>        the promotion commit to revert (default: the last promotion not yet reverted)
  --reason <text>       why, recorded in the commit message (e.g. the alert that fired)
  --repo <dir>          the repository (default: .)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      commit: { type: 'string' },
      reason: { type: 'string' },
      repo: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const result = await rollback({ repoDir: values.repo, commit: values.commit, reason: values.reason });
  process.stdout.write(
    [
      `rolled back ${result.rolledBackVersion}: champion is ${result.restoredChampion} again`,
      `  previous: ${result.manifest.previous?.version ?? 'none'}`,
      `  reverted ${result.reverted}`,
      `  commit ${result.commit}`,
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => exitWithError(error, USAGE));
