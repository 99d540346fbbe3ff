/**
 * npm run status
 * What is in production (champion since which commit, previous, challenger), the data clock and
 * the recent manifest history; --at <time> answers "what was in production then".
 */
import { parseArgs } from 'node:util';
import { deploymentStatus, manifestAtTime } from '../lib/release/status.ts';
import { exitWithError, numberFlag } from './cli-support.ts';

const USAGE = `usage: npm run status -- [options]

  --at <iso time>       what was in production at that instant
  --history <n>         manifest changes to list (default 10)
  --json                machine-readable output
  --repo <dir>          the repository (default: .)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      at: { type: 'string' },
      history: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      repo: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const limit = numberFlag('history', values.history, { integer: true, min: 1 });
  if (values.at) {
    const found = await manifestAtTime({ repoDir: values.repo, instant: values.at });
    if (values.json) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    else if (!found) process.stdout.write(`nothing was in production at ${values.at} (no manifest commit before it)\n`);
    else {
      const m = found.manifest;
      process.stdout.write(
        `at ${values.at}: champion ${m?.champion.version ?? 'none'}, previous ${m?.previous?.version ?? 'none'}\n  set by ${found.commit.commit.slice(0, 12)} ${found.commit.date} "${found.commit.subject}"\n`,
      );
    }
    return;
  }
  const status = await deploymentStatus({ repoDir: values.repo, historyLimit: limit });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  if (!status.champion) lines.push('champion:   none (nothing promoted yet)');
  else {
    const since = status.champion.since;
    lines.push(
      `champion:   ${status.champion.version}  (${status.champion.path}, sha256 ${status.champion.sha256.slice(0, 12)}…)`,
    );
    lines.push(
      since
        ? `  since     ${since.date}  ${since.commit.slice(0, 12)}  "${since.subject}"`
        : '  since     (uncommitted change to the manifest)',
    );
  }
  lines.push(
    `previous:   ${status.previous?.version ?? 'none'}${status.previous ? '  (rollback target: npm run rollback)' : ''}`,
  );
  const ch = status.challenger;
  lines.push(
    `challenger: ${ch ? `${ch.version} (${ch.mode}${ch.mode === 'canary' ? `, ${(ch.traffic * 100).toFixed(0)}% of traffic` : ''})` : 'none'}`,
  );
  lines.push(`data clock: ${status.dataClock?.asOf ?? 'not set'}`);
  if (status.uncommitted) lines.push('warning:    manifests/production.json has uncommitted changes');
  if (status.history.length > 0) {
    lines.push('', 'manifest history (newest first):');
    for (const h of status.history.slice(0, limit))
      lines.push(
        `  ${h.date}  ${h.commit.slice(0, 12)}  ${h.kind.padEnd(9)}  champion ${h.champion ?? 'none'}, previous ${h.previous ?? 'none'}`,
      );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => exitWithError(error, USAGE));
