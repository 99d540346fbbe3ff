/**
 * npm run verify:reproduce -- --version <v>
 * Retrains a registered version from its card (asOf, training window, parameters, seed) and
 * compares the new artifact's sha256 with the committed one. Exit 0 = byte-identical, 1 = differs,
 * 2 = could not run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { simpleGit } from 'simple-git';
import { loadFlights } from '../lib/data/flights.ts';
import { readVersion } from '../lib/registry/registry.ts';
import { retrainOptions } from '../lib/registry/reproduce.ts';
import { trainModel } from '../lib/training/run.ts';
import { nodeRepoFiles } from '../lib/util/repo-files.ts';
import { codeVersion } from '../lib/util/run-context.ts';
import { UsageError, exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run verify:reproduce -- --version <version> [options]

  --version <v>         a version in models/flight-delay/ (see npm run registry)
  --repo <dir>          the repository (default: .)
  --keep <dir>          keep the retrained model.onnx and card.json in this folder

exit status: 0 the retrained artifact is byte-identical, 1 it differs, 2 it could not run
`;

/** '' when no code changed since `commit` (registry and manifest commits do not count), else a note. */
async function codeChangedSince(repo: string, commit: string): Promise<string> {
  try {
    const files = (
      await simpleGit(repo).raw(['diff', '--name-only', commit, 'HEAD', '--', '.', ':!models', ':!manifests'])
    ).trim();
    return files === ''
      ? ''
      : `${files.split('\n').length} files changed since (${files.split('\n').slice(0, 3).join(', ')}…)`;
  } catch {
    return 'that commit is not in this repository';
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      version: { type: 'string' },
      repo: { type: 'string', default: '.' },
      keep: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.version) throw new UsageError('--version <version> is required');
  const stored = await readVersion(nodeRepoFiles(values.repo), values.version);
  const { card } = stored;
  const table = await loadFlights();
  if (table.sourceSha256 !== card.data.sha256) {
    throw new Error(
      `the local data file (sha256 ${table.sourceSha256}) is not the one ${card.version} was trained on (${card.data.sha256})`,
    );
  }
  const options = retrainOptions(card);
  const code = await codeVersion(values.repo);
  process.stderr.write(
    `retraining ${card.version}: asOf ${options.asOf}, train window ${card.data.train.start} → ${card.data.train.end}, seed ${card.seed}\n`,
  );
  const changed = await codeChangedSince(values.repo, card.code.commit);
  if (changed !== '')
    process.stderr.write(
      `note: the card was trained at commit ${card.code.commit}${card.code.dirty ? ' (with uncommitted changes)' : ''}; ${changed}\n`,
    );
  const outDir = values.keep ?? (await mkdtemp(path.join(tmpdir(), 'taxiway-reproduce-')));
  try {
    const started = performance.now();
    const { card: again } = await trainModel({ ...options, outDir, table, baseline: false });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (again.artifact.sha256 === card.artifact.sha256) {
      process.stdout.write(
        `reproduced ${card.version}: sha256 ${again.artifact.sha256} (byte-identical, retrained in ${seconds} s)\n`,
      );
      return 0;
    }
    process.stdout.write(
      [
        `NOT reproduced ${card.version}:`,
        `  committed  sha256 ${card.artifact.sha256} (${card.artifact.bytes} bytes, ${card.trees} trees)`,
        `  retrained  sha256 ${again.artifact.sha256} (${again.artifact.bytes} bytes, ${again.trees} trees)`,
        changed !== '' || code.dirty
          ? `  the code differs from ${card.code.commit.slice(0, 12)}; check out that commit (clean) to reproduce exactly`
          : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
    return 1;
  } finally {
    if (!values.keep) await rm(outDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => exitWithError(error, USAGE),
);
