/**
 * `npm run bench:memory [-- --seconds 30 --rate 2000 --batch-rate 10 --week 2001-05-07]`
 *
 * Memory and CPU of one service replica configured as deploy/k8s/deployment.yaml runs it, to size
 * the pod's resources. The real server runs as a child process with the Deployment's environment
 * (drain, polling, …), following a clone of this repository's committed HEAD as a remote
 * (MODEL_REPO_URL, a bare clone in a cache folder, as a pod does), under real traffic: a week of
 * flights from the data set with their real outcomes as feedback, through the replay tool's loader.
 *   1. idle: right after /readyz;
 *   2. single-row predictions at --rate req/s for --seconds (the prediction log fills up);
 *   3. the same, plus 256-row batches at --batch-rate req/s, and halfway a rollback committed to
 *      the followed repository and picked up (POST /admin/reload): during the swap the service
 *      holds two models.
 * Reports RSS at the end of each phase and its highest 250 ms sample, the peak over the whole run
 * (VmHWM, the kernel's high-water mark), and the server's CPU in cores per phase (/proc utime+stime).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { loadFlights } from '../lib/data/flights.ts';
import { rollback } from '../lib/release/rollback.ts';
import { replay, type ReplaySummary } from '../lib/replay/replay.ts';
import { selectTraffic } from '../lib/replay/traffic.ts';
import { startServerProcess, type ServerProcess } from '../testing/server-process.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2000' },
    'batch-rate': { type: 'string', default: '10' },
    week: { type: 'string', default: '2001-05-07' },
  },
});
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const BATCH_RATE = Number(args['batch-rate']);
const BATCH_ROWS = 256;
const ADMIN_TOKEN = 'bench-memory-admin-token';
/** Kernel clock ticks per second for /proc/<pid>/stat (Linux on x86-64 and arm64). */
const CLOCK_TICKS = 100;

const MiB = 1024 * 1024;

/** The container's environment in deploy/k8s/deployment.yaml. */
function deploymentEnv(): Record<string, string> {
  const deployment = parse(readFileSync('deploy/k8s/deployment.yaml', 'utf8'));
  const container = deployment.spec.template.spec.containers[0];
  return Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
}

function procStatus(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

function cpuSeconds(pid: number): number {
  // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

interface Phase {
  name: string;
  seconds: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  cpuCores: number;
  predictions: {
    requests: number;
    rows: number;
    ok: number;
    p50Ms: number;
    p99Ms: number;
    versions: Record<string, number>;
  } | null;
  batches: { requests: number; ok: number; p99Ms: number } | null;
}

async function measurePhase(
  server: ServerProcess,
  name: string,
  work: () => Promise<[ReplaySummary | null, ReplaySummary | null]>,
): Promise<Phase> {
  const pid = server.child.pid!;
  let rssMax = procStatus(pid).rss;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, procStatus(pid).rss)), 250);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  try {
    const [single, batches] = await work();
    const seconds = (performance.now() - started) / 1000;
    const end = procStatus(pid).rss;
    return {
      name,
      seconds,
      rssEndMiB: end / MiB,
      rssMaxMiB: Math.max(rssMax, end) / MiB,
      cpuCores: (cpuSeconds(pid) - cpuBefore) / seconds,
      predictions: single && {
        requests: single.predictions.requests,
        rows: single.predictions.rows,
        ok: single.predictions.ok,
        p50Ms: single.predictions.latency.p50Ms,
        p99Ms: single.predictions.latency.p99Ms,
        versions: single.predictions.versions,
      },
      batches: batches && {
        requests: batches.predictions.requests,
        ok: batches.predictions.ok,
        p99Ms: batches.predictions.latency.p99Ms,
      },
    };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = os.loadavg();
  const work = mkdtempSync(path.join(os.tmpdir(), 'taxiway-bench-memory-'));
  try {
    // The followed repository: a clone of this checkout's committed HEAD, as GitHub would hold it.
    const origin = path.join(work, 'origin');
    const clone = spawnSync('git', ['clone', '--quiet', process.cwd(), origin], { encoding: 'utf8' });
    if (clone.status !== 0) throw new Error(`git clone failed: ${clone.stderr}`);
    const branch = spawnSync('git', ['-C', origin, 'rev-parse', '--abbrev-ref', 'HEAD'], {
      encoding: 'utf8',
    }).stdout.trim();

    const table = await loadFlights({ log: (line) => console.log(line) });
    const traffic = selectTraffic(table, { week: args.week, order: 'shuffled', seed: 1 });
    const singleFlights = traffic.flights.slice(0, Math.ceil(RATE * SECONDS));
    const batchFlights = traffic.flights.slice(-Math.ceil(BATCH_RATE * BATCH_ROWS * (SECONDS / 2 + 1)));

    // simple-git refuses to run git when one of these is in the environment, and the service hands
    // it its whole environment; a pod has none of them (deploy.test.ts checks the Deployment's).
    for (const name of ['EDITOR', 'GIT_EDITOR', 'PAGER', 'GIT_PAGER', 'PREFIX', 'GIT_ASKPASS', 'SSH_ASKPASS'])
      delete process.env[name];
    const env = deploymentEnv();
    const server = await startServerProcess({
      env: {
        ...env,
        HOST: '127.0.0.1',
        PORT: '0',
        MODEL_REPO_URL: `file://${origin}`,
        MODEL_REPO_BRANCH: branch,
        MODEL_CACHE_DIR: path.join(work, 'cache', 'model-repo'),
        ADMIN_TOKEN,
      },
      parseLogs: false,
    });
    const phases: Phase[] = [];
    let reload: { status: number; body: string } | null = null;
    try {
      await server.ready(120_000);
      phases.push(await measurePhase(server, 'idle (ready)', async () => [null, null]));
      const single = (flights: typeof singleFlights) =>
        replay({ url: server.url, flights, rate: RATE, feedbackDelayMs: 2000, connections: 16 });
      const half = Math.floor(singleFlights.length / 2);
      phases.push(
        await measurePhase(server, `single-row ${RATE} req/s + feedback`, async () => [
          await single(singleFlights),
          null,
        ]),
      );
      phases.push(
        await measurePhase(server, `+ ${BATCH_RATE}×${BATCH_ROWS}-row batches/s, rollback halfway`, async () => {
          const swap = (async () => {
            await new Promise((r) => setTimeout(r, (SECONDS / 4) * 1000));
            const result = await rollback({ repoDir: origin, reason: 'bench:memory swap under load' });
            console.log(
              `rolled back ${result.rolledBackVersion} → ${result.restoredChampion} in the followed repository`,
            );
            const response = await fetch(`${server.url}/admin/reload`, {
              method: 'POST',
              headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
            });
            reload = { status: response.status, body: await response.text() };
          })();
          const results = await Promise.all([
            single(singleFlights.slice(0, half)),
            replay({
              url: server.url,
              flights: batchFlights,
              rate: BATCH_RATE,
              batchSize: BATCH_ROWS,
              feedbackDelayMs: null,
              connections: 4,
            }),
            swap,
          ]);
          return [results[0], results[1]];
        }),
      );
    } finally {
      const peak = procStatus(server.child.pid!).hwm;
      await server.stop();
      const result = {
        date: started.toISOString(),
        loadAverageBefore: loadBefore,
        loadAverageAfter: os.loadavg(),
        config: { seconds: SECONDS, rate: RATE, batchRate: BATCH_RATE, batchRows: BATCH_ROWS, week: args.week },
        peakRssMiB: peak / MiB,
        reload,
        phases,
      };
      mkdirSync('.cache/bench', { recursive: true });
      writeFileSync('.cache/bench/memory.json', `${JSON.stringify(result, null, 2)}\n`);
      console.log(
        `\nbench:memory ${result.date}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${result.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
      );
      console.log('| phase | s | RSS at end | RSS max | server CPU | predictions ok / sent | p50 | p99 |');
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
      for (const p of phases) {
        const pr = p.predictions;
        console.log(
          `| ${p.name} | ${p.seconds.toFixed(1)} | ${p.rssEndMiB.toFixed(0)} MiB | ${p.rssMaxMiB.toFixed(0)} MiB | ${p.cpuCores.toFixed(2)} cores | ${pr ? `${pr.ok} / ${pr.requests}` : '–'} | ${pr ? `${pr.p50Ms.toFixed(2)} ms` : '–'} | ${pr ? `${pr.p99Ms.toFixed(2)} ms` : '–'} |`,
        );
      }
      console.log(
        `peak RSS (VmHWM) ${result.peakRssMiB.toFixed(0)} MiB; reload during load: ${JSON.stringify(reload)}`,
      );
      console.log('full output: .cache/bench/memory.json');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
