/**
 * npm run cost -- [--write] [--bench .cache/bench/serve.json] [--measure-storage]
 * Recomputes COST.md's tables from docs/cost-inputs.json (lib/cost/): prints them, and says whether
 * COST.md holds them (exit 1 when it does not); --write puts them into COST.md. --bench takes the
 * serving figures from a bench:serve result file, --measure-storage the model versions' sizes from
 * git; both update the inputs file, which is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { parseCostInputs, type MeasuredVersion } from '../lib/cost/inputs.ts';
import { loadFlights } from '../lib/data/flights.ts';
import { servingFromBench, trafficProfile, versionsFromGit } from '../lib/cost/measured.ts';
import { costSections, normalizeTables, readSections, replaceSections } from '../lib/cost/tables.ts';
import { exitWithError } from './cli-support.ts';

const USAGE = `usage: npm run cost -- [options]

  --inputs <file>       the inputs (default: docs/cost-inputs.json)
  --doc <file>          the document with the marked tables (default: COST.md)
  --write               write the recomputed tables into the document
  --bench <file>        update the inputs' serving figures from a bench:serve result (.cache/bench/serve.json)
  --measure-storage     update the inputs' model-version sizes from git (HEAD of this checkout)
  --candidate <dir>     with --measure-storage: also measure a trained, gated candidate (model.onnx, card.json,
                        evidence.json, gate-report.md), listed last: future versions are sized like it
  --measure-traffic     update the data set's flights a day and busiest-hour ratio from the flights data
`;

const MODEL_DIR = 'models/flight-delay';

function git(args: string[], input?: string): string {
  return execFileSync('git', args, { encoding: 'utf8', input, maxBuffer: 64 * 2 ** 20 });
}

/** A candidate folder's files as git would store them: sizes and zlib-compressed object sizes. */
function measureCandidate(dir: string, tmp: string): MeasuredVersion {
  const names = ['model.onnx', 'card.json', 'evidence.json', 'gate-report.md'];
  execFileSync('git', ['init', '--quiet', '--bare', `${tmp}/candidate.git`]);
  const files: Record<string, number> = {};
  let diskBytes = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    files[name] = statSync(file).size;
    const sha = git(['--git-dir', `${tmp}/candidate.git`, 'hash-object', '-w', file]).trim();
    diskBytes += Number(
      git(['--git-dir', `${tmp}/candidate.git`, 'cat-file', '--batch-check=%(objectsize:disk)'], `${sha}\n`),
    );
  }
  const card = JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8')) as { version: string };
  return { version: `${card.version} (candidate, not committed)`, files, diskBytes };
}

function measureStorage(candidate?: string): { versions: ReturnType<typeof versionsFromGit>; cloneBytes: number } {
  const lsTree = git(['ls-tree', '-r', '-l', 'HEAD', MODEL_DIR]);
  const shas = [...lsTree.matchAll(/ blob ([0-9a-f]+) /g)].map((m) => m[1]);
  const disk = new Map(
    git(['cat-file', '--batch-check=%(objectname) %(objectsize:disk)'], `${shas.join('\n')}\n`)
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([sha, size]) => [sha, Number(size)] as const),
  );
  // A bare single-branch clone, as a replica makes it, packed as git sends it.
  const dir = git(['rev-parse', '--show-toplevel']).trim();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'taxiway-cost-'));
  try {
    execFileSync('git', ['clone', '--quiet', '--bare', '--single-branch', `file://${dir}`, `${tmp}/clone.git`]);
    const cloneBytes = Number(execFileSync('du', ['-sb', `${tmp}/clone.git`], { encoding: 'utf8' }).split('\t')[0]);
    const versions = versionsFromGit(lsTree, disk, MODEL_DIR);
    if (candidate) versions.push(measureCandidate(candidate, tmp));
    return { versions, cloneBytes };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      inputs: { type: 'string', default: 'docs/cost-inputs.json' },
      doc: { type: 'string', default: 'COST.md' },
      write: { type: 'boolean', default: false },
      bench: { type: 'string' },
      'measure-storage': { type: 'boolean', default: false },
      'measure-traffic': { type: 'boolean', default: false },
      candidate: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const inputsFile = path.resolve(values.inputs);
  const raw = JSON.parse(readFileSync(inputsFile, 'utf8'));
  if (values.bench) {
    const bench = JSON.parse(readFileSync(values.bench, 'utf8'));
    raw.measured.serving = {
      ...raw.measured.serving,
      ...servingFromBench(bench),
      measuredAt: statSync(values.bench).mtime.toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    };
  }
  if (values['measure-storage']) {
    const { versions, cloneBytes } = measureStorage(values.candidate);
    raw.measured.storage = {
      ...raw.measured.storage,
      versions,
      cloneBytes,
      measuredAt: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      command: `npm run cost -- --measure-storage${values.candidate ? ` --candidate ${values.candidate}` : ''}`,
    };
  }
  if (values['measure-traffic']) {
    // The scenario whose volume is the data set's own (the first one); its other fields are assumptions.
    const profile = trafficProfile((await loadFlights()).departure);
    raw.traffic[0] = {
      ...raw.traffic[0],
      flightsPerDay: Math.round(profile.flightsPerDay),
      peakToAverage: Math.round(profile.peakToAverage * 100) / 100,
    };
    process.stdout.write(
      `data set: ${profile.flights.toLocaleString('en-US')} flights over ${profile.days.toFixed(1)} days, busiest hour ${profile.peakToAverage.toFixed(2)}× the average\n`,
    );
  }
  const updates = values.bench || values['measure-storage'] || values['measure-traffic'];
  if (updates) {
    parseCostInputs(raw);
    writeFileSync(
      inputsFile,
      await format(JSON.stringify(raw), { parser: 'json', ...(await resolveConfig(inputsFile)) }),
    );
    process.stdout.write(`updated ${values.inputs}\n`);
  }
  const sections = costSections(parseCostInputs(raw));
  const docFile = path.resolve(values.doc);
  const doc = readFileSync(docFile, 'utf8');
  if (values.write) {
    const updated = await format(replaceSections(doc, sections), {
      parser: 'markdown',
      ...(await resolveConfig(docFile)),
    });
    writeFileSync(docFile, updated);
    process.stdout.write(`wrote the tables into ${values.doc}\n`);
    return;
  }
  for (const [name, body] of Object.entries(sections)) process.stdout.write(`## ${name}\n\n${body}\n\n`);
  const committed = readSections(doc, Object.keys(sections));
  const stale = Object.keys(sections).filter(
    (name) => committed[name] === undefined || normalizeTables(committed[name]!) !== normalizeTables(sections[name]),
  );
  if (stale.length) {
    process.stdout.write(`${values.doc} is out of date in: ${stale.join(', ')} (npm run cost -- --write)\n`);
    process.exitCode = 1;
  } else process.stdout.write(`${values.doc} holds these tables\n`);
}

main().catch((error: unknown) => exitWithError(error, USAGE));
