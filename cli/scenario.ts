/**
 * npm run scenario -- <natural-drift|kilometres|dead-feed|stuck-feed> [options]
 * Runs a drift scenario against a real service and a real Prometheus; see lib/replay/scenario.ts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadFlights } from '../lib/data/flights.ts';
import { formatManifest } from '../lib/manifest/format.ts';
import { loadRuleFile } from '../lib/monitoring/rules.ts';
import { artifactPath } from '../lib/registry/registry.ts';
import { formatScenarioResult, runScenario, SCENARIOS } from '../lib/replay/scenario.ts';
import { trainModel } from '../lib/training/run.ts';
import { startServerProcess } from '../testing/server-process.ts';
import { exitWithError, numberFlag, UsageError } from './cli-support.ts';

const USAGE = `usage: npm run scenario -- <${Object.keys(SCENARIOS).join('|')}> [options]

  --scale <n>           rules and traffic run this many times faster than real time (default 60)
  --rate <req/s>        prediction requests per second (default: the data set's volume × scale)
  --baseline <n>        baseline requests (default 1200)
  --max-changed <n>     changed requests at most (default per scenario)
  --seed <n>            traffic shuffle seed (default 1)
  --out <file>          result JSON (default .cache/scenarios/<name>.json)

Scenarios:
${Object.values(SCENARIOS)
  .map((s) => `  ${s.name.padEnd(14)} ${s.summary}`)
  .join('\n')}
`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scale: { type: 'string', default: '60' },
      rate: { type: 'string' },
      baseline: { type: 'string', default: '1200' },
      'max-changed': { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const scenario = SCENARIOS[positionals[0] ?? ''];
  if (!scenario || positionals.length !== 1)
    throw new UsageError(`name one scenario: ${Object.keys(SCENARIOS).join(', ')}; got ${JSON.stringify(positionals)}`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const table = await loadFlights({ log });
  const rules = {
    'recording.yml': await loadRuleFile('monitoring/recording.yml'),
    'alerts.yml': await loadRuleFile('monitoring/alerts.yml'),
  };
  const result = await runScenario(scenario, {
    table,
    rules,
    scale: numberFlag('scale', values.scale, { min: 1 }),
    rate: values.rate === undefined ? undefined : numberFlag('rate', values.rate, { min: 0.1 }),
    baselineRequests: numberFlag('baseline', values.baseline, { integer: true, min: 100 }),
    maxChangedRequests:
      values['max-changed'] === undefined
        ? undefined
        : numberFlag('max-changed', values['max-changed'], { integer: true, min: 100 }),
    seed: numberFlag('seed', values.seed, { integer: true }),
    log,
    startService: async (modelRoot) => {
      const env: Record<string, string> = { LOG_REQUESTS: 'false' };
      if (modelRoot) Object.assign(env, { MODEL_REPO_ROOT: modelRoot, MODEL_SOURCE: 'directory' });
      const server = await startServerProcess({ env, parseLogs: false });
      await server.ready();
      return server;
    },
    trainModelRepo: async (asOf) => {
      const root = path.resolve('.cache/scenarios', `model-${asOf}`);
      const run = path.join(root, 'run');
      const { card } = await trainModel({ asOf, outDir: run, baseline: false, table, log });
      const file = artifactPath(card.version);
      await mkdir(path.join(root, path.dirname(file)), { recursive: true });
      await writeFile(path.join(root, file), await readFile(path.join(run, 'model.onnx')));
      await writeFile(path.join(root, path.dirname(file), 'card.json'), await readFile(path.join(run, 'card.json')));
      await mkdir(path.join(root, 'manifests'), { recursive: true });
      await writeFile(
        path.join(root, 'manifests/production.json'),
        formatManifest({
          schemaVersion: 1,
          model: 'flight-delay',
          champion: { version: card.version, path: file, sha256: card.artifact.sha256 },
          previous: null,
          challenger: null,
          reason: `scenario: a model trained at ${asOf}`,
          updatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        }),
      );
      return root;
    },
  });
  const out = values.out ?? `.cache/scenarios/${scenario.name}.json`;
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(formatScenarioResult(result));
  log(`result: ${out}`);
}

main().catch((error: unknown) => exitWithError(error, USAGE));
