/**
 * `npm run bench:early-stopping [-- --as-of 2001-03-01,2001-04-01,2001-05-01,2001-06-01 --trees 250 --threads N]`
 *
 * Which early-stopping rule gives the best model on the week after? For each asOf, the windows of
 * `npm run train` (lib/training/windows.ts): one run of DEFAULT_GBDT_PARAMS with `--trees` trees
 * and no early stopping, recording validation log loss and AUC after every tree. Each rule is then
 * replayed on that history (lib/ml/gbdt/early-stopping.ts, the booster's own rule; boosting does not
 * depend on the rule, so the kept trees are exactly those training with it would keep), and the
 * kept prefix is scored on the evaluation week: AUC and recall at the 20% alert budget
 * (lib/metrics). One training per asOf, so four dates take a few minutes on 2 cores.
 *
 * Writes .cache/bench/early-stopping.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadFlights, selectWindow } from '../lib/data/flights.ts';
import { metricSet } from '../lib/metrics/classification.ts';
import { DEFAULT_GBDT_PARAMS, defaultThreads, trainGbdt } from '../lib/ml/gbdt/booster.ts';
import { type EarlyStoppingMetric, replayEarlyStopping } from '../lib/ml/gbdt/early-stopping.ts';
import { type GbdtModel, predictProbaMatrix } from '../lib/ml/gbdt/model.ts';
import type { Matrix } from '../lib/ml/matrix.ts';
import { buildSplit } from '../lib/training/dataset.ts';
import { ALERT_BUDGET } from '../lib/training/run.ts';
import { runWindows } from '../lib/training/windows.ts';

const { values: args } = parseArgs({
  options: {
    'as-of': { type: 'string', default: '2001-03-01,2001-04-01,2001-05-01,2001-06-01' },
    trees: { type: 'string', default: String(DEFAULT_GBDT_PARAMS.trees) },
    threads: { type: 'string' },
  },
});
const asOfs = args['as-of'].split(',').map((s) => s.trim());
const trees = Number(args.trees);
const threads = args.threads ? Number(args.threads) : defaultThreads();

interface Rule {
  name: string;
  metric: EarlyStoppingMetric;
  /** 0 = no early stopping: every tree. */
  rounds: number;
}
const RULES: Rule[] = [
  { name: 'logloss, patience 30 (the champion 2001-05-01-732e194c)', metric: 'logloss', rounds: 30 },
  { name: 'logloss, patience 50', metric: 'logloss', rounds: 50 },
  { name: 'AUC, patience 30', metric: 'auc', rounds: 30 },
  { name: 'AUC, patience 50', metric: 'auc', rounds: 50 },
  { name: 'AUC, patience 100 (the default since)', metric: 'auc', rounds: 100 },
  { name: `none: fixed ${trees} trees`, metric: 'auc', rounds: 0 },
];
/** Points of the learning curve printed for each date. */
const CURVE = [25, 50, 100, 150, 200, 250, 300, 400, 500].filter((n) => n <= trees);

interface Outcome {
  rule: string;
  kept: number;
  trained: number;
  auc: number;
  recallAtBudget: number;
}

const prefix = (model: GbdtModel, n: number): GbdtModel => ({ ...model, trees: model.trees.slice(0, n) });
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function evaluate(model: GbdtModel, n: number, evaluation: Matrix) {
  return metricSet(
    evaluation.labels,
    predictProbaMatrix(prefix(model, n), evaluation.values, evaluation.cols),
    ALERT_BUDGET,
  );
}

async function main(): Promise<void> {
  console.log(
    `bench:early-stopping — asOf ${asOfs.join(', ')}; DEFAULT_GBDT_PARAMS with up to ${trees} trees, threads ${threads}; load average ${loadavg()}`,
  );
  const table = await loadFlights({ log: (line) => console.log(line) });
  const dates: { asOf: string; trainRows: number; trainSeconds: number; curve: unknown[]; outcomes: Outcome[] }[] = [];
  for (const asOf of asOfs) {
    const windows = runWindows(asOf);
    const split = buildSplit(table, {
      train: selectWindow(table, windows.train.start, windows.train.end),
      validation: selectWindow(table, windows.validation.start, windows.validation.end),
      evaluation: [selectWindow(table, windows.evaluation.start, windows.evaluation.end)],
    });
    const evaluation = split.evaluation[0];
    const started = performance.now();
    const run = await trainGbdt(split.train, split.validation, {
      ...DEFAULT_GBDT_PARAMS,
      trees,
      earlyStoppingMetric: 'auc',
      earlyStoppingRounds: 0,
      threads,
    });
    const trainSeconds = (performance.now() - started) / 1000;
    console.log(
      `\nasOf ${asOf}: train ${windows.train.start.slice(0, 10)}..${windows.train.end.slice(0, 10)} (${split.train.rows.toLocaleString('en-US')} rows), ` +
        `validation ${windows.validation.start.slice(0, 10)}.. (${split.validation.rows.toLocaleString('en-US')}), evaluation ${windows.evaluation.start.slice(0, 10)}.. ` +
        `(${evaluation.rows.toLocaleString('en-US')}); ${trees} trees in ${trainSeconds.toFixed(1)} s (load ${loadavg()})`,
    );
    const curve = CURVE.map((n) => {
      const point = run.history[n - 1];
      const m = evaluate(run.model, n, evaluation);
      return {
        trees: n,
        validLoss: point.validLoss,
        validAuc: point.validAuc,
        auc: m.auc,
        recallAtBudget: m.recallAtBudget,
      };
    });
    console.log('  trees | valid log loss | valid AUC | eval AUC | eval recall@20%');
    for (const c of curve)
      console.log(
        `  ${String(c.trees).padStart(5)} | ${c.validLoss.toFixed(5).padStart(14)} | ${c.validAuc?.toFixed(4).padStart(9)} | ${c.auc.toFixed(4).padStart(8)} | ${c.recallAtBudget.toFixed(4)}`,
      );
    const outcomes = RULES.map((rule) => {
      const { kept, trained } = replayEarlyStopping(run.history, rule.metric, rule.rounds);
      const m = evaluate(run.model, kept, evaluation);
      return { rule: rule.name, kept, trained, auc: m.auc, recallAtBudget: m.recallAtBudget };
    });
    for (const o of outcomes)
      console.log(
        `  ${o.rule}: keeps ${o.kept} of ${o.trained} trees, eval AUC ${o.auc.toFixed(4)}, recall@20% ${o.recallAtBudget.toFixed(4)}`,
      );
    dates.push({ asOf, trainRows: split.train.rows, trainSeconds, curve, outcomes });
  }

  console.log(`\n== summary over ${asOfs.length} asOf dates (evaluation week of each) ==`);
  console.log('| rule | trees kept | eval AUC (each date) | mean AUC | recall@20% (each date) | mean recall@20% |');
  console.log('|---|---|---|---:|---|---:|');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const [i, rule] of RULES.entries()) {
    const o = dates.map((d) => d.outcomes[i]);
    console.log(
      `| ${rule.name} | ${o.map((x) => x.kept).join(' / ')} | ${o.map((x) => x.auc.toFixed(4)).join(' / ')} | ${mean(o.map((x) => x.auc)).toFixed(4)} | ` +
        `${o.map((x) => x.recallAtBudget.toFixed(4)).join(' / ')} | ${mean(o.map((x) => x.recallAtBudget)).toFixed(4)} |`,
    );
  }
  mkdirSync('.cache/bench', { recursive: true });
  writeFileSync(
    '.cache/bench/early-stopping.json',
    `${JSON.stringify({ trees, threads, rules: RULES, dates }, null, 2)}\n`,
  );
  console.log(`\nwrote .cache/bench/early-stopping.json; load average at end ${loadavg()}`);
}

await main();
