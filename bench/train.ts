/**
 * `npm run bench:train [-- --trees 200 --depth 8 --lr 0.1 --threads N --baseline]`
 *
 * 1. Comparison: one feature matrix (lib/training/dataset.ts) for Jan–Apr 2001 (train) and May
 *    (test); our GBDT and XGBoost (tree_method=hist, nthread=2, same trees/depth/learning rate,
 *    max_bin 255, no early stopping) trained on the same float32 matrix; wall time, peak RSS and
 *    May AUC of both and the ratios (ours / XGBoost).
 * 2. Project defaults: DEFAULT_GBDT_PARAMS with early stopping on the last week of April (trained
 *    on Jan 1 – Apr 23); May and June AUC and training time.
 *
 * Setup: installs Debian's python3-xgboost when `python3 -c "import xgboost"` fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadFlights, selectWindow } from '../lib/data/flights.ts';
import { auc } from '../lib/metrics/classification.ts';
import { DEFAULT_GBDT_PARAMS, type GbdtParams, defaultThreads, trainGbdt } from '../lib/ml/gbdt/booster.ts';
import { predictProbaMatrix } from '../lib/ml/gbdt/model.ts';
import { predictLogistic, trainLogistic } from '../lib/ml/logistic.ts';
import type { Matrix } from '../lib/ml/matrix.ts';
import { buildSplit } from '../lib/training/dataset.ts';

const { values: args } = parseArgs({
  options: {
    trees: { type: 'string', default: '200' },
    depth: { type: 'string', default: '8' },
    lr: { type: 'string', default: '0.1' },
    threads: { type: 'string' },
    baseline: { type: 'boolean', default: false },
    'skip-defaults': { type: 'boolean', default: false },
    'skip-xgboost': { type: 'boolean', default: false },
    'skip-comparison': { type: 'boolean', default: false },
    /** JSON object of GbdtParams overrides for the defaults section (for tuning the defaults). */
    'defaults-override': { type: 'string' },
  },
});
const trees = Number(args.trees);
const depth = Number(args.depth);
const lr = Number(args.lr);
const threads = args.threads ? Number(args.threads) : defaultThreads();
const here = path.dirname(fileURLToPath(import.meta.url));
const GiB = 1024 ** 3;
/** Debian's interpreter, where python3-xgboost installs (a pyenv `python3` on PATH would not see it). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(2)} GiB`;

function ensureXgboost(): string {
  const probe = spawnSync(PYTHON, ['-c', 'import xgboost; print(xgboost.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) {
    console.log(`setup: python3-xgboost ${probe.stdout.trim()} is installed (${PYTHON})`);
    return probe.stdout.trim();
  }
  console.log(
    `setup: \`${PYTHON} -c "import xgboost"\` failed; running: apt-get update && apt-get install -y python3-xgboost`,
  );
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', 'python3-xgboost'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const again = spawnSync(PYTHON, ['-c', 'import xgboost; print(xgboost.__version__)'], { encoding: 'utf8' });
  if (again.status !== 0) throw new Error(`xgboost still not importable: ${again.stderr}`);
  console.log(`setup: installed python3-xgboost ${again.stdout.trim()}`);
  return again.stdout.trim();
}

function writeMatrix(dir: string, name: string, m: Matrix, withLabels: boolean): void {
  writeFileSync(
    path.join(dir, `${name}.f32`),
    new Uint8Array(m.values.buffer, m.values.byteOffset, m.values.byteLength),
  );
  if (withLabels) writeFileSync(path.join(dir, `${name}.labels.u8`), m.labels);
}

async function main(): Promise<void> {
  console.log(
    `bench:train — trees ${trees}, depth ${depth}, learning rate ${lr}, threads ${threads} (cpus ${os.availableParallelism()})`,
  );
  // The machine may be shared: the load average tells how comparable the timings are.
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const xgbVersion = args['skip-xgboost'] || args['skip-comparison'] ? null : ensureXgboost();

  let t = performance.now();
  const table = await loadFlights({ log: (line) => console.log(line) });
  const may = selectWindow(table, '2001-05-01', '2001-06-01');
  const june = selectWindow(table, '2001-06-01', '2001-07-01');
  const split = buildSplit(table, {
    train: selectWindow(table, '2001-01-01', '2001-05-01'),
    validation: selectWindow(table, '2001-04-24', '2001-05-01'),
    evaluation: [may],
  });
  const train = split.train;
  const test = split.evaluation[0];
  console.log(
    `data: ${train.rows.toLocaleString('en-US')} training rows (Jan–Apr), ${test.rows.toLocaleString('en-US')} May rows, ` +
      `${train.cols} features (${train.featureNames.join(', ')}); built in ${seconds(performance.now() - t)}`,
  );

  // --- Section 1: same matrix, same settings. ---
  if (!args['skip-comparison']) await comparison(train, test, xgbVersion);

  if (args.baseline) {
    t = performance.now();
    const logistic = trainLogistic(train);
    console.log(
      `logistic regression baseline: train ${seconds(performance.now() - t)}, May AUC ${auc(test.labels, predictLogistic(logistic, test)).toFixed(4)}`,
    );
  }

  // --- Section 2: project defaults with early stopping. ---
  if (!args['skip-defaults']) {
    const overrides = args['defaults-override'] ? (JSON.parse(args['defaults-override']) as Partial<GbdtParams>) : {};
    const params = { ...DEFAULT_GBDT_PARAMS, ...overrides, threads };
    console.log(
      `\n== project defaults (DEFAULT_GBDT_PARAMS${args['defaults-override'] ? ' with overrides' : ''}, early stopping on Apr 24–30) ==`,
    );
    const { threads: _threads, ...shown } = params;
    console.log(`params: ${JSON.stringify(shown)}`);
    t = performance.now();
    const split2 = buildSplit(table, {
      train: selectWindow(table, '2001-01-01', '2001-04-24'),
      validation: selectWindow(table, '2001-04-24', '2001-05-01'),
      evaluation: [may, june],
    });
    console.log(
      `data: ${split2.train.rows.toLocaleString('en-US')} training rows (Jan 1 – Apr 23), ${split2.validation.rows.toLocaleString('en-US')} validation rows; built in ${seconds(performance.now() - t)}`,
    );
    t = performance.now();
    const result = await trainGbdt(split2.train, split2.validation, params, {
      onProgress: (p) => {
        if ((p.iteration + 1) % 100 === 0)
          console.log(
            `  iteration ${p.iteration + 1}: valid log loss ${p.validLoss?.toFixed(5)}${p.validAuc === undefined ? '' : `, AUC ${p.validAuc.toFixed(4)}`}, ${seconds(p.elapsedMs)}`,
          );
      },
    });
    const ms = performance.now() - t;
    const [mayM, juneM] = split2.evaluation;
    const mayAuc = auc(mayM.labels, predictProbaMatrix(result.model, mayM.values, mayM.cols));
    const juneAuc = auc(juneM.labels, predictProbaMatrix(result.model, juneM.values, juneM.cols));
    console.log(
      `defaults: ${result.model.trees.length} trees (best iteration ${result.bestIteration}, of ${result.history.length} trained), train ${seconds(ms)}, ` +
        `May AUC ${mayAuc.toFixed(4)}, June AUC ${juneAuc.toFixed(4)}`,
    );
  }
  console.log(
    `\npeak RSS of the bench process: ${gib(process.resourceUsage().maxRSS * 1024)}; load average at end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

async function comparison(train: Matrix, test: Matrix, xgbVersion: string | null): Promise<void> {
  let t = performance.now();
  console.log('\n== comparison (same feature matrix; no early stopping) ==');
  const params: Partial<GbdtParams> = {
    trees,
    maxDepth: depth,
    maxLeaves: 2 ** depth,
    learningRate: lr,
    minChildWeight: 1,
    minDataInLeaf: 0,
    lambda: 1,
    minGainToSplit: 0,
    maxBins: 255,
    earlyStoppingRounds: 0,
    threads,
  };
  t = performance.now();
  const cpuStart = process.cpuUsage();
  const ours = await trainGbdt(train, null, params);
  const oursMs = performance.now() - t;
  const cpu = process.cpuUsage(cpuStart);
  const oursCpuMs = (cpu.user + cpu.system) / 1000;
  const oursRss = process.resourceUsage().maxRSS * 1024;
  const oursAuc = auc(test.labels, predictProbaMatrix(ours.model, test.values, test.cols));
  const timingText = Object.entries(ours.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
    .join(', ');
  console.log(
    `taxiway gbdt: train ${seconds(oursMs)} (CPU ${seconds(oursCpuMs)}; ${timingText}), peak RSS ${gib(oursRss)} (whole bench process), May AUC ${oursAuc.toFixed(4)}`,
  );
  // Equal digests across code changes mean the same trees, bit for bit.
  console.log(
    `model digest (sha256 of the trees): ${createHash('sha256').update(JSON.stringify(ours.model)).digest('hex')}`,
  );

  if (xgbVersion) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-bench-'));
    try {
      writeMatrix(dir, 'train', train, true);
      writeMatrix(dir, 'test', test, false);
      writeFileSync(
        path.join(dir, 'meta.json'),
        JSON.stringify({ cols: train.cols, trainRows: train.rows, testRows: test.rows }),
      );
      t = performance.now();
      const child = spawnSync(
        PYTHON,
        [
          path.join(here, 'xgboost-train.py'),
          '--dir',
          dir,
          '--trees',
          String(trees),
          '--depth',
          String(depth),
          '--lr',
          String(lr),
          '--max-bin',
          '255',
          '--nthread',
          '2',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const childMs = performance.now() - t;
      if (child.status !== 0) throw new Error(`xgboost failed (${child.status}): ${child.stderr}`);
      const lines = child.stdout.trim().split('\n');
      const result = JSON.parse(lines[lines.length - 1]) as {
        trainSeconds: number;
        trainCpuSeconds: number;
        peakRssBytes: number;
        version: string;
      };
      const predBytes = readFileSync(path.join(dir, 'xgboost.pred.f32'));
      const pred = new Float32Array(predBytes.buffer, predBytes.byteOffset, predBytes.byteLength / 4);
      const xgbAuc = auc(test.labels, pred);
      const xgbMs = result.trainSeconds * 1000;
      console.log(
        `load average after xgboost: ${os
          .loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );
      console.log(
        `xgboost ${result.version} (hist, nthread 2): train ${seconds(xgbMs)} (CPU ${seconds(result.trainCpuSeconds * 1000)}; DMatrix + boosting; whole child ${seconds(childMs)}), ` +
          `peak RSS ${gib(result.peakRssBytes)} (python process), May AUC ${xgbAuc.toFixed(4)}`,
      );
      console.log(
        `ratios (ours / xgboost): time ${(oursMs / xgbMs).toFixed(2)}x, CPU time ${(oursCpuMs / (result.trainCpuSeconds * 1000)).toFixed(2)}x, peak RSS ${(oursRss / result.peakRssBytes).toFixed(2)}x, ` +
          `AUC difference ${(oursAuc - xgbAuc >= 0 ? '+' : '') + (oursAuc - xgbAuc).toFixed(4)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
