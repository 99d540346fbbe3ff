/**
 * npm run registry
 * Lists every model version with its run, data window, metrics and status. --write regenerates
 * models/REGISTRY.md; --check fails (exit 1) when it is stale or an artifact does not match its
 * card or the manifest — the CI guard for hand edits.
 */
import { parseArgs } from 'node:util';
import { readManifest } from '../lib/manifest/store.ts';
import { manifestArtifactProblems } from '../lib/manifest/verify.ts';
import { REGISTRY_MD_PATH, registryTable } from '../lib/registry/registry-md.ts';
import { nodeRepoFiles } from '../lib/util/repo-files.ts';
import { exitWithError } from './cli-support.ts';
import { errorMessage } from '../lib/util/errors.ts';

const USAGE = `usage: npm run registry -- [options]

  --json                machine-readable output
  --write               regenerate models/REGISTRY.md
  --check               exit 1 if models/REGISTRY.md is stale or an artifact does not match its card or the manifest
  --repo <dir>          the repository (default: .)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      repo: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const files = nodeRepoFiles(values.repo);
  if (values.check) {
    const problems: string[] = [];
    let table;
    try {
      // verify: every artifact is re-hashed against its card.
      table = await registryTable(files, { verify: true });
    } catch (error) {
      process.stderr.write(`registry check failed: ${errorMessage(error)}\n`);
      return 1;
    }
    const manifest = await readManifest(files);
    if (manifest) problems.push(...(await manifestArtifactProblems(files, manifest)).map((p) => p.message));
    const committed = (await files.exists(REGISTRY_MD_PATH)) ? await files.readText(REGISTRY_MD_PATH) : null;
    if (table.rows.length > 0 && committed !== table.markdown)
      problems.push(`${REGISTRY_MD_PATH} is stale; run npm run registry -- --write`);
    if (problems.length > 0) {
      process.stderr.write(`registry check failed:\n  - ${problems.join('\n  - ')}\n`);
      return 1;
    }
    process.stdout.write(
      `registry ok: ${table.rows.length} versions, every artifact matches its card${manifest ? ' and the manifest' : ''}\n`,
    );
    return 0;
  }
  const table = await registryTable(files);
  if (values.write) {
    await files.write(REGISTRY_MD_PATH, table.markdown);
    process.stderr.write(`wrote ${REGISTRY_MD_PATH}\n`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(table.rows, null, 2)}\n`);
    return 0;
  }
  if (table.rows.length === 0) {
    process.stdout.write('no model versions in models/flight-delay/ yet\n');
    return 0;
  }
  const header = ['VERSION', 'STATUS', 'TRAINED AT', 'RUN', 'TRAIN WINDOW', 'EVAL WEEK', 'AUC', 'RECALL@20%', 'ECE'];
  const rows = table.rows.map((r) => [
    r.version,
    r.status,
    r.trainedAt.slice(0, 16).replace('T', ' '),
    r.run.url ?? r.run.label,
    r.trainWindow,
    r.evaluationWeek,
    r.auc.toFixed(4),
    r.recallAtBudget.toFixed(4),
    r.ece.toFixed(4),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => exitWithError(error, USAGE),
);
