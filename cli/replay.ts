/**
 * npm run replay -- --week <date> --rate <req/s> [options]
 * Sends a week of real flights through a running service at a fixed rate, then their real
 * outcomes as feedback; see lib/replay/.
 */
import { parseArgs } from 'node:util';
import { loadFlights } from '../lib/data/flights.ts';
import { formatSummary, progressReporter } from '../lib/replay/report.ts';
import { replay } from '../lib/replay/replay.ts';
import { describeChange, parseTrafficChange, selectTraffic, type TrafficChange } from '../lib/replay/traffic.ts';
import { errorMessage } from '../lib/util/errors.ts';
import { exitWithError, numberFlag, UsageError } from './cli-support.ts';

const USAGE = `usage: npm run replay -- --week <YYYY-MM-DD> --rate <req/s> [options]

  --url <url>               the service (default http://127.0.0.1:8080)
  --week <date>             first day of the week to replay (data: 2001-01-01 … 2001-06-30)
  --days <n>                days from --week (default 7)
  --rate <req/s>            prediction requests per second, open loop (default 100)
  --batch <n>               flights per request: 1 sends one flight, more send {"flights": [...]} (default 1)
  --limit <n>               send at most n flights
  --order <shuffled|time>   shuffled (default, seeded): any prefix is a sample of the whole week;
                            time: in departure order
  --seed <n>                shuffle seed (default 1)
  --feedback-delay <s>      send each flight's real outcome this many seconds after its prediction (default 5)
  --no-feedback             send no outcomes
  --connections <n>         keep-alive connections (default 16)
  --kilometres              upstream bug: distance in kilometres instead of miles
  --drop-origin <AIRPORT>   dead feed: flights from this airport never arrive
  --stuck <AIRPORT>:<field>=<value>
                            dead feed: flights from this airport carry a constant
                            (field: distance, time (HH:MM) or destination); repeatable
  --json                    print the summary as JSON
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080' },
      week: { type: 'string' },
      days: { type: 'string', default: '7' },
      rate: { type: 'string', default: '100' },
      batch: { type: 'string', default: '1' },
      limit: { type: 'string' },
      order: { type: 'string', default: 'shuffled' },
      seed: { type: 'string', default: '1' },
      'feedback-delay': { type: 'string', default: '5' },
      'no-feedback': { type: 'boolean', default: false },
      connections: { type: 'string', default: '16' },
      kilometres: { type: 'boolean', default: false },
      'drop-origin': { type: 'string', multiple: true, default: [] },
      stuck: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.week) throw new UsageError('--week is required');
  if (values.order !== 'shuffled' && values.order !== 'time')
    throw new UsageError(`--order must be shuffled or time, got ${JSON.stringify(values.order)}`);
  const changes: TrafficChange[] = [];
  try {
    if (values.kilometres) changes.push(parseTrafficChange('kilometres'));
    for (const airport of values['drop-origin']) changes.push(parseTrafficChange(`drop-origin:${airport}`));
    for (const spec of values.stuck) changes.push(parseTrafficChange(`stuck:${spec}`));
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const table = await loadFlights({ log });
  const traffic = selectTraffic(table, {
    week: values.week,
    days: numberFlag('days', values.days, { min: 1, max: 181 }),
    order: values.order,
    seed: numberFlag('seed', values.seed, { integer: true }),
    limit: values.limit === undefined ? undefined : numberFlag('limit', values.limit, { integer: true, min: 1 }),
    changes,
  });
  log(
    `replay: ${traffic.flights.length.toLocaleString('en-US')} of ${traffic.inWindow.toLocaleString('en-US')} flights from ${values.week} (${values.order})${changes.length ? `; ${changes.map(describeChange).join('; ')} (${traffic.removed} removed, ${traffic.altered} altered)` : ''} → ${values.url}`,
  );
  const controller = new AbortController();
  process.once('SIGINT', () => {
    log('\nreplay: interrupted, waiting for answers in flight…');
    controller.abort();
  });
  const reporter = progressReporter(process.stderr);
  const summary = await replay({
    url: values.url,
    flights: traffic.flights,
    rate: numberFlag('rate', values.rate, { min: 0.001 }),
    batchSize: numberFlag('batch', values.batch, { integer: true, min: 1 }),
    feedbackDelayMs: values['no-feedback']
      ? null
      : numberFlag('feedback-delay', values['feedback-delay'], { min: 0 }) * 1000,
    connections: numberFlag('connections', values.connections, { integer: true, min: 1, max: 1024 }),
    onProgress: reporter.onProgress,
    signal: controller.signal,
  });
  reporter.done();
  process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  if (summary.predictions.ok === 0) process.exitCode = 1;
}

main().catch((error: unknown) => exitWithError(error, USAGE));
