/**
 * npm run train -- --as-of 2001-05-01 --out runs/2001-05-01
 * Trains one model run and writes <out>/model.onnx and <out>/card.json.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { GbdtParams } from '../lib/ml/gbdt/booster.ts';
import { EARLY_STOPPING_METRICS, type EarlyStoppingMetric } from '../lib/ml/gbdt/early-stopping.ts';
import { trainModel } from '../lib/training/run.ts';
import { UsageError, exitWithError, numberFlag } from './cli-support.ts';
import { errorMessage } from '../lib/util/errors.ts';

const USAGE = `usage: npm run train -- [--as-of <ISO date>] [--out <dir>] [options]

  --as-of <date>        train up to this instant (default: manifests/data-clock.json)
  --out <dir>           where model.onnx and card.json go (default: runs/<as-of date>)
  --train-days <n>      days of training data before the validation week (default: all since 2001-01-01)
  --trees <n>           maximum number of trees (early stopping may keep fewer)
  --learning-rate <x>   shrinkage
  --max-leaves <n>      leaves per tree
  --max-depth <n>       depth limit
  --seed <n>            random seed
  --early-stopping-rounds <n>    trees without improvement before stopping (0 = never)
  --early-stopping-metric <m>    auc or logloss on the validation week
  --no-baseline         skip the logistic-regression baseline
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'as-of': { type: 'string' },
      out: { type: 'string' },
      'train-days': { type: 'string' },
      trees: { type: 'string' },
      'learning-rate': { type: 'string' },
      'max-leaves': { type: 'string' },
      'max-depth': { type: 'string' },
      seed: { type: 'string' },
      'early-stopping-rounds': { type: 'string' },
      'early-stopping-metric': { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const asOf = values['as-of'] ?? (await dataClockAsOf());
  const params: Partial<GbdtParams> = {};
  const set = <K extends keyof GbdtParams>(key: K, flag: string, integer: boolean) => {
    const raw = values[flag as keyof typeof values];
    if (typeof raw === 'string') (params as Record<string, number>)[key] = numberFlag(flag, raw, { integer, min: 0 });
  };
  set('trees', 'trees', true);
  set('learningRate', 'learning-rate', false);
  set('maxLeaves', 'max-leaves', true);
  set('maxDepth', 'max-depth', true);
  set('seed', 'seed', true);
  set('earlyStoppingRounds', 'early-stopping-rounds', true);
  const metric = values['early-stopping-metric'];
  if (metric !== undefined) {
    if (!EARLY_STOPPING_METRICS.includes(metric as EarlyStoppingMetric))
      throw new UsageError(
        `--early-stopping-metric must be one of ${EARLY_STOPPING_METRICS.join(', ')}, got ${metric}`,
      );
    params.earlyStoppingMetric = metric as EarlyStoppingMetric;
  }
  const trainDays =
    values['train-days'] === undefined
      ? undefined
      : numberFlag('train-days', values['train-days'], { integer: true, min: 1 });
  const outDir = values.out ?? `runs/${asOf.slice(0, 10)}`;
  const started = performance.now();
  const { card, modelPath, cardPath } = await trainModel({
    asOf,
    outDir,
    trainDays,
    params,
    baseline: !values['no-baseline'],
    log: (line) =>
      process.stderr.write(`[train ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`),
  });
  process.stdout.write(
    `${JSON.stringify({ version: card.version, sha256: card.artifact.sha256, model: modelPath, card: cardPath, auc: card.metrics.evaluation.auc, recallAtBudget: card.metrics.evaluation.recallAtBudget })}\n`,
  );
}

async function dataClockAsOf(): Promise<string> {
  const file = 'manifests/data-clock.json';
  let clock: { asOf?: unknown };
  try {
    clock = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`no --as-of given and ${file} could not be read: ${errorMessage(error)}`);
  }
  if (typeof clock.asOf !== 'string') throw new Error(`${file}: asOf must be an ISO date string`);
  return clock.asOf;
}

main().catch((error: unknown) => exitWithError(error, USAGE));
