/**
 * `npm run bench:compare -- --base <rev> [--rounds 5] [-- <bench:train options>]`
 *
 * Runs `bench:train` (default options: `--skip-xgboost --skip-defaults`, the comparison section's
 * GBDT alone) for the working tree and for another revision, interleaved (ABBA…) so that a shared,
 * busy machine slows both alike, and prints the median training CPU and wall time of each, their
 * ratio, the May AUC and the model digest of every run, and the load average. The other revision
 * is checked out in a temporary git worktree that shares this checkout's node_modules and data
 * cache (so its dependencies must be the same or a subset).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
  allowPositionals: true,
});
if (!args.base) throw new Error('usage: npm run bench:compare -- --base <rev> [--rounds N] [-- <bench:train options>]');
const rounds = Number(args.rounds);
const benchArgs = positionals.length > 0 ? positionals : ['--skip-xgboost', '--skip-defaults'];

interface Run {
  cpuSeconds: number;
  wallSeconds: number;
  /** Wall seconds of the training phases, as bench:train prints them ("binning 0.51, …"). */
  phases: string;
  auc: string;
  digest: string;
}

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One bench:train run in `dir`, parsed from its "taxiway gbdt: train …" and digest lines. */
function benchTrain(dir: string): Run {
  const node = path.join(process.cwd(), 'node_modules/.bin/node');
  const child = spawnSync(node, ['bench/train.ts', ...benchArgs], { cwd: dir, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`bench:train failed in ${dir}: ${child.stderr}`);
  const line = /taxiway gbdt: train ([\d.]+) s \(CPU ([\d.]+) s; ([^)]*)\).*May AUC ([\d.]+)/.exec(child.stdout);
  if (!line) throw new Error(`bench:train in ${dir} printed no "taxiway gbdt" line:\n${child.stdout}`);
  const digest = /model digest \(sha256 of the trees\): ([0-9a-f]+)/.exec(child.stdout)?.[1] ?? 'not printed';
  return { wallSeconds: Number(line[1]), cpuSeconds: Number(line[2]), phases: line[3], auc: line[4], digest };
}

const here = process.cwd();
const baseDir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-bench-base-'));
try {
  execFileSync('git', ['worktree', 'add', '--detach', baseDir, args.base], { stdio: 'ignore' });
  symlinkSync(path.join(here, 'node_modules'), path.join(baseDir, 'node_modules'));
  symlinkSync(path.join(here, '.cache'), path.join(baseDir, '.cache'));
  const commit = execFileSync('git', ['-C', baseDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const sides = { base: `base (${args.base} = ${commit})`, work: 'working tree' };
  console.log(
    `bench:compare — ${rounds} rounds of bench:train ${benchArgs.join(' ')}; load average at start: ${loadavg()}`,
  );
  const runs: Record<keyof typeof sides, Run[]> = { base: [], work: [] };
  for (let round = 0; round < rounds; round++) {
    const order: (keyof typeof sides)[] = round % 2 === 0 ? ['base', 'work'] : ['work', 'base'];
    for (const side of order) {
      const run = benchTrain(side === 'base' ? baseDir : here);
      runs[side].push(run);
      console.log(
        `round ${round + 1} ${sides[side]}: CPU ${run.cpuSeconds.toFixed(2)} s, wall ${run.wallSeconds.toFixed(2)} s ` +
          `(${run.phases}), May AUC ${run.auc}, digest ${run.digest.slice(0, 16)}; load ${loadavg()}`,
      );
    }
  }
  const cpu = { base: median(runs.base.map((r) => r.cpuSeconds)), work: median(runs.work.map((r) => r.cpuSeconds)) };
  const wall = { base: median(runs.base.map((r) => r.wallSeconds)), work: median(runs.work.map((r) => r.wallSeconds)) };
  console.log(`\n| | training CPU (median) | wall (median) |`);
  console.log(`|---|---:|---:|`);
  console.log(`| ${sides.base} | ${cpu.base.toFixed(2)} s | ${wall.base.toFixed(2)} s |`);
  console.log(`| ${sides.work} | ${cpu.work.toFixed(2)} s | ${wall.work.toFixed(2)} s |`);
  console.log(
    `| ratio (working tree / base) | ${(cpu.work / cpu.base).toFixed(3)} | ${(wall.work / wall.base).toFixed(3)} |`,
  );
  const aucs = new Set([...runs.base, ...runs.work].map((r) => r.auc));
  console.log(`May AUC of every run: ${[...aucs].join(', ')}; load average at end: ${loadavg()}`);
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', baseDir], { stdio: 'ignore' });
  rmSync(baseDir, { recursive: true, force: true });
}
