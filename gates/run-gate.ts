/**
 * The gate's I/O: load the candidate and the current champion, score both with ONNX Runtime on
 * the same evaluation rows (the candidate card's evaluation week unless told otherwise), measure
 * single-row latency, reproduce golden outputs, compute the data checks, run the pure evaluator,
 * and write `evidence.json` and `gate-report.md` next to the candidate.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATA_FILE_LABEL,
  type FlightTable,
  isDelayed,
  isoFromMinutes,
  loadFlights,
  minutesFromIso,
  type RowRange,
  selectWindow,
} from '../lib/data/flights.ts';
import { validDeparture, validPlaceFields } from '../lib/features/complete-flight.ts';
import { hourOfDay, routeKey, toModelInputs } from '../lib/features/flight-features.ts';
import type { ModelInputs, RawFlight } from '../lib/features/spec.ts';
import { readManifest } from '../lib/manifest/store.ts';
import { evidenceModel } from '../lib/release/evidence.ts';
import { pairedBootstrap } from '../lib/metrics/bootstrap.ts';
import { busiestOrigins, distanceBand, flightSliceNames } from '../lib/metrics/slices.ts';
import { knownKeys, type KnownKeys } from '../lib/onnx/graph.ts';
import {
  contractProblems,
  inputSchemaDifferences,
  loadOnnxScorer,
  readModelSchema,
  type OnnxScorer,
} from '../lib/onnx/runtime.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import {
  CARD_FILE,
  EVIDENCE_FILE,
  MODEL_FILE,
  REPORT_FILE,
  checkArtifact,
  parseCard,
  readVersion,
} from '../lib/registry/registry.ts';
import { nodeRepoFiles } from '../lib/util/repo-files.ts';
import { actionsRun, codeVersion } from '../lib/util/run-context.ts';
import { bootstrapOptions, compareSlices, evaluateGate, type GateEvaluation, type GoldenResult } from './evaluate.ts';
import { formatEvidence, type GateEvidence } from './evidence.ts';
import { bootstrapInWorkers } from './parallel-bootstrap.ts';
import { loadPolicy } from './policy.ts';
import { renderGateReport } from './report.ts';

/** The checkout this gate code runs from: its commit is the gate's code version in the evidence. */
const CODE_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface RunGateOptions {
  repoDir: string;
  /** Folder with the candidate's model.onnx and card.json. */
  candidateDir: string;
  /** Default `<repoDir>/gates/policy.json`. */
  policyFile?: string;
  /** Where evidence.json and gate-report.md go; default the candidate folder. */
  outDir?: string;
  /** Evaluate on this window instead of the candidate card's evaluation week (benchmarks, what-ifs). */
  window?: { start: string; end: string };
  /** The flights table (tests and benchmarks pass it; loaded from the cache otherwise). */
  table?: FlightTable;
  /** Rows per ONNX Runtime batch when scoring the evaluation window. */
  batchRows?: number;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface GateRun {
  evidence: GateEvidence;
  report: string;
  evidencePath: string;
  reportPath: string;
}

async function readCandidate(dir: string): Promise<{ card: ModelCard; model: Uint8Array }> {
  const read = async (file: string) => {
    try {
      return await readFile(path.join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`candidate ${path.join(dir, file)} does not exist`);
      throw error;
    }
  };
  const model = new Uint8Array(await read(MODEL_FILE));
  const cardFile = path.join(dir, CARD_FILE);
  const card = parseCard((await read(CARD_FILE)).toString('utf8'), cardFile);
  checkArtifact(card, model, path.join(dir, MODEL_FILE), cardFile);
  return { card, model };
}

/** The feature module's inputs in batches, built once and fed to both models. */
function inputBatches(flights: RawFlight[], batchRows: number): ModelInputs[] {
  const batches: ModelInputs[] = [];
  for (let start = 0; start < flights.length; start += batchRows)
    batches.push(toModelInputs(flights.slice(start, start + batchRows)));
  return batches;
}

async function scoreAll(scorer: OnnxScorer, batches: ModelInputs[], rows: number): Promise<Float32Array> {
  const out = new Float32Array(rows);
  let offset = 0;
  for (const batch of batches) {
    out.set(await scorer.score(batch), offset);
    offset += batch.rows;
  }
  return out;
}

export interface PreparedEvaluation {
  /** Raw flights as the service would receive them (complete rows only). */
  flights: RawFlight[];
  labels: Uint8Array;
  slices: (readonly string[])[];
  nullRows: number;
  unseenAirportRows: number;
  unseenRouteRows: number;
}

/**
 * The evaluation rows of `range` as raw flights with labels, slice names and data-check counts.
 * Strings that repeat (departure stamps, slice lists, route keys) are built once per distinct
 * value: on 500k rows this is seconds faster than building them per row.
 */
export function prepareEvaluation(
  table: FlightTable,
  range: RowRange,
  known: KnownKeys,
  hubs: ReadonlySet<string>,
): PreparedEvaluation {
  const isoByMinute = new Map<number, string>();
  const completeByDeparture = new Map<string, boolean>();
  const sliceLists = new Map<string, readonly string[]>();
  const none: ReadonlySet<string> = new Set();
  const origins = known.get('origin') ?? none;
  const destinations = known.get('destination') ?? none;
  const routes = known.get('route') ?? none;
  const airportSeen = table.airports.map((code) => [origins.has(code), destinations.has(code)] as const);
  const routeSeen = new Map<number, boolean>();
  const flights: RawFlight[] = [];
  const labels: number[] = [];
  const slices: (readonly string[])[] = [];
  let nullRows = 0;
  let unseenAirportRows = 0;
  let unseenRouteRows = 0;
  for (let row = range.start; row < range.end; row++) {
    const minute = table.departure[row];
    let departure = isoByMinute.get(minute);
    if (departure === undefined) isoByMinute.set(minute, (departure = isoFromMinutes(minute)));
    const o = table.origin[row];
    const d = table.destination[row];
    const flight: RawFlight = {
      departure,
      distance: table.distance[row],
      origin: table.airports[o],
      destination: table.airports[d],
    };
    let departureOk = completeByDeparture.get(departure);
    if (departureOk === undefined) completeByDeparture.set(departure, (departureOk = validDeparture(departure)));
    if (!departureOk || !validPlaceFields(flight)) {
      nullRows++;
      continue;
    }
    flights.push(flight);
    labels.push(isDelayed(table, row) ? 1 : 0);
    const hour = hourOfDay(minute);
    const sliceKey = `${hubs.has(flight.origin) ? flight.origin : ''}|${hour}|${distanceBand(flight.distance)}`;
    let names = sliceLists.get(sliceKey);
    if (!names) sliceLists.set(sliceKey, (names = flightSliceNames(flight.origin, hour, flight.distance, hubs)));
    slices.push(names);
    if (!airportSeen[o][0] || !airportSeen[d][1]) unseenAirportRows++;
    const routeId = o * table.airports.length + d;
    let seen = routeSeen.get(routeId);
    if (seen === undefined) routeSeen.set(routeId, (seen = routes.has(routeKey(flight.origin, flight.destination))));
    if (!seen) unseenRouteRows++;
  }
  return { flights, labels: Uint8Array.from(labels), slices, nullRows, unseenAirportRows, unseenRouteRows };
}

/**
 * Single-row inference: `warmup` untimed calls, then `calls` timed ones over varied rows, each with
 * its wall-clock time and the process's CPU time (every thread: ONNX Runtime's and the event loop's).
 */
export async function measureLatency(
  scorer: OnnxScorer,
  flights: RawFlight[],
  calls: number,
  warmup: number,
): Promise<{ wallMs: number[]; cpuMs: number[] }> {
  const step = Math.max(1, Math.floor(flights.length / Math.max(1, calls + warmup)));
  const inputs = Array.from({ length: calls + warmup }, (_, i) =>
    toModelInputs([flights[(i * step) % flights.length]]),
  );
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await scorer.score(inputs[i]);
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (i < warmup) continue;
    wallMs.push(elapsed);
    cpuMs.push((used.user + used.system) / 1000);
  }
  return { wallMs, cpuMs };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

export async function runGate(options: RunGateOptions): Promise<GateRun> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work();
    timings[name] = Math.round(performance.now() - t);
    return result;
  };
  const repoDir = path.resolve(options.repoDir);
  const candidateDir = path.resolve(options.candidateDir);
  const files = nodeRepoFiles(repoDir);
  const policyFile = options.policyFile ?? path.join(repoDir, 'gates', 'policy.json');
  const { policy, sha256: policySha256 } = await loadPolicy(policyFile);

  const candidate = await readCandidate(candidateDir);
  const manifest = await readManifest(files);
  let champion: { card: ModelCard; model: Uint8Array } | null = null;
  if (manifest) {
    const stored = await readVersion(files, manifest.champion.version);
    if (stored.card.artifact.sha256 !== manifest.champion.sha256) {
      throw new Error(
        `manifest.champion.sha256 does not match ${stored.dir}/${MODEL_FILE} (manifest ${manifest.champion.sha256}, file ${stored.card.artifact.sha256})`,
      );
    }
    champion = { card: stored.card, model: stored.model };
  }
  log(`candidate ${candidate.card.version}; champion ${champion ? champion.card.version : 'none (first model)'}`);

  const table = options.table ?? (await timed('loadDataMs', () => loadFlights({ log })));
  const given = options.window ?? candidate.card.data.evaluation;
  // Canonical `YYYY-MM-DDTHH:MM` stamps, as the cards write them.
  const window = { start: isoFromMinutes(minutesFromIso(given.start)), end: isoFromMinutes(minutesFromIso(given.end)) };
  const range = selectWindow(table, window.start, window.end);

  // Raw flights, exactly as the service would receive them, then the shared feature module.
  const prepared = await timed('prepareMs', () => {
    const trainRange = selectWindow(table, candidate.card.data.train.start, candidate.card.data.train.end);
    const hubs = new Set(
      busiestOrigins(table.origin.subarray(trainRange.start, trainRange.end), table.airports, policy.slices.hubs),
    );
    return prepareEvaluation(table, range, knownKeys(candidate.model), hubs);
  });
  log(`evaluation ${window.start} → ${window.end}: ${prepared.flights.length.toLocaleString('en-US')} flights`);
  if (prepared.flights.length === 0)
    throw new Error(`the evaluation window ${window.start} → ${window.end} has no flights`);

  const batches = await timed('inputsMs', () => inputBatches(prepared.flights, options.batchRows ?? 65_536));
  const rows = prepared.flights.length;
  // One intra-op thread: measured faster than ORT's default pool for the tree ensemble on 2 shared cores.
  const candidateScorer = await loadOnnxScorer(candidate.model, { intraOpThreads: 1 });
  let championScorer: OnnxScorer | null = null;
  let latencyScorer: OnnxScorer | null = null;
  try {
    const candidateScores = await timed('scoreCandidateMs', () => scoreAll(candidateScorer, batches, rows));
    let championScores: Float32Array | null = null;
    if (champion) {
      championScorer = await loadOnnxScorer(champion.model, { intraOpThreads: 1 });
      championScores = await timed('scoreChampionMs', () => scoreAll(championScorer!, batches, rows));
    }
    log(`scored both models in ${((timings.scoreCandidateMs + (timings.scoreChampionMs ?? 0)) / 1000).toFixed(1)} s`);

    // A fresh session, configured as the service runs it (one intra-op thread), so the p99 is what users would see.
    latencyScorer = await loadOnnxScorer(candidate.model, { intraOpThreads: 1 });
    const latency = await timed('latencyMs', () =>
      measureLatency(latencyScorer!, prepared.flights, policy.latency.calls, policy.latency.warmupCalls),
    );

    const golden: GoldenResult[] = await timed('goldenMs', async () => {
      if (candidate.card.golden.length === 0) return [];
      const actual = await candidateScorer.score(toModelInputs(candidate.card.golden.map((g) => g.input)));
      return candidate.card.golden.map((g, i) => ({ input: g.input, expected: g.probability, actual: actual[i] }));
    });

    const candidateSchema = readModelSchema(candidate.model);
    const evaluation: GateEvaluation = {
      window,
      dataSha256: table.sourceSha256,
      labels: prepared.labels,
      candidateScores,
      championScores,
      slices: prepared.slices,
      latencyMs: latency.wallMs,
      latencyCpuMs: latency.cpuMs,
      golden,
      schema: {
        contractProblems: contractProblems(candidateSchema),
        championDifferences: champion ? inputSchemaDifferences(readModelSchema(champion.model), candidateSchema) : null,
      },
      data: {
        nullRows: prepared.nullRows,
        unseenAirportRows: prepared.unseenAirportRows,
        unseenRouteRows: prepared.unseenRouteRows,
      },
    };
    // The statistics run after the latency measurement, so nothing competed with it. The AUC
    // bootstrap (the longest job) goes to a worker thread while this thread does the recall
    // bootstrap and the slices; the results are the same as computing them one after another.
    if (championScores) {
      await timed('statisticsMs', async () => {
        const aucInWorker = bootstrapInWorkers(prepared.labels, candidateScores, championScores!, [
          bootstrapOptions(policy, 'auc'),
        ]);
        try {
          const recallAtBudget = pairedBootstrap(
            prepared.labels,
            candidateScores,
            championScores!,
            bootstrapOptions(policy, 'recallAtBudget'),
          );
          evaluation.sliceComparisons = compareSlices(evaluation, policy, true);
          const [auc] = await aucInWorker;
          evaluation.bootstrap = { auc, recallAtBudget };
        } finally {
          // Never leave a rejected promise unobserved if this thread threw first.
          await aucInWorker.catch(() => undefined);
        }
      });
    }

    const verdict = await timed('evaluateMs', () =>
      evaluateGate({ candidate: candidate.card, champion: champion?.card ?? null, policy, evaluation }),
    );
    timings.totalMs = Math.round(performance.now() - started);
    const relPolicy = path.relative(repoDir, policyFile);
    const evidence: GateEvidence = {
      schemaVersion: 1,
      kind: 'taxiway.gate-evidence',
      model: 'flight-delay',
      verdict: verdict.verdict,
      summary: verdict.summary,
      candidate: evidenceModel(candidate.card),
      champion: champion ? evidenceModel(champion.card) : null,
      policy: {
        file: relPolicy.startsWith('..') ? policyFile : relPolicy.split(path.sep).join('/'),
        sha256: policySha256,
        values: policy,
      },
      evaluation: {
        start: window.start,
        end: window.end,
        rows: verdict.data.rows,
        positives: verdict.data.positives,
        dataFile: DATA_FILE_LABEL,
        dataSha256: table.sourceSha256,
      },
      checks: verdict.checks,
      metrics: verdict.metrics,
      bootstrap: verdict.bootstrap,
      slices: verdict.slices,
      latency: verdict.latency,
      ...(verdict.latencyCpu ? { latencyCpu: verdict.latencyCpu } : {}),
      golden: verdict.golden,
      data: verdict.data,
      gate: {
        createdAt: (options.now ?? (() => new Date()))().toISOString(),
        code: await codeVersion(CODE_DIR),
        node: process.version,
        run: actionsRun() ?? null,
      },
      timings,
    };
    const report = renderGateReport(evidence);
    const outDir = path.resolve(options.outDir ?? candidateDir);
    const evidencePath = path.join(outDir, EVIDENCE_FILE);
    const reportPath = path.join(outDir, REPORT_FILE);
    await writeAtomic(evidencePath, formatEvidence(evidence));
    await writeAtomic(reportPath, report);
    return { evidence, report, evidencePath, reportPath };
  } finally {
    await candidateScorer.release();
    await championScorer?.release();
    await latencyScorer?.release();
  }
}
