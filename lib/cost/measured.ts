/**
 * Measured inputs of COST.md taken from their sources: the JSON that `npm run bench:serve` writes
 * (.cache/bench/serve.json), and the sizes of the committed model versions as git lists them.
 * Pure: the CLI reads the files and runs git.
 */
import type { MeasuredServing, MeasuredVersion } from './inputs.ts';

interface BenchRun {
  rps: number;
  p50Ms: number;
  cpuUsPerRequest: number;
}

interface BenchServeJson {
  model: { version: string; trees: number; bytes: number };
  rounds: { b: BenchRun; c: BenchRun }[];
  loadBefore: number[];
}

/** The median by `key` (bench:serve's rounds are odd in number, so it is one real round). */
function medianBy<T>(items: T[], key: (x: T) => number): T {
  return [...items].sort((x, y) => key(x) - key(y))[Math.floor((items.length - 1) / 2)];
}

/** The serving figures of one bench:serve run: median rounds of (b) and (c), as its report prints them. */
export function servingFromBench(
  json: unknown,
  batchRows = 256,
): Pick<
  MeasuredServing,
  | 'model'
  | 'loadBefore'
  | 'singleRowRps'
  | 'singleRowCpuUs'
  | 'singleRowP50Ms'
  | 'batchRowsPerSecond'
  | 'batchCpuUsPerRequest'
  | 'batchRows'
> {
  const bench = json as BenchServeJson;
  if (!Array.isArray(bench?.rounds) || bench.rounds.length === 0)
    throw new Error('bench:serve results: no rounds (is this .cache/bench/serve.json?)');
  const b = medianBy(bench.rounds, (r) => r.b.rps).b;
  const c = medianBy(bench.rounds, (r) => r.c.rps).c;
  return {
    model: `${bench.model.version} (${bench.model.trees} trees, ${Math.round(bench.model.bytes / 1024)} KiB)`,
    loadBefore: bench.loadBefore.map((x) => Math.round(x * 100) / 100),
    singleRowRps: Math.round(b.rps),
    singleRowCpuUs: Math.round(b.cpuUsPerRequest),
    singleRowP50Ms: b.p50Ms,
    batchRowsPerSecond: Math.round(c.rps * batchRows),
    batchCpuUsPerRequest: Math.round(c.cpuUsPerRequest),
    batchRows,
  };
}

/**
 * Per version, the committed files and their size in git, from `git ls-tree -r -l <rev> <dir>` lines
 * (`<mode> blob <sha> <size>\t<path>`) and each blob's `objectsize:disk`.
 */
export function versionsFromGit(lsTree: string, diskSizes: Map<string, number>, modelDir: string): MeasuredVersion[] {
  const byVersion = new Map<string, MeasuredVersion>();
  for (const line of lsTree.split('\n')) {
    const match = /^\d+ blob ([0-9a-f]+)\s+(\d+)\t(.+)$/.exec(line.trim());
    if (!match) continue;
    const [, sha, size, file] = match;
    const rest = file.startsWith(`${modelDir}/`) ? file.slice(modelDir.length + 1).split('/') : [];
    if (rest.length !== 2) continue;
    const [version, name] = rest;
    const entry = byVersion.get(version) ?? { version, files: {}, diskBytes: 0 };
    entry.files[name] = Number(size);
    const disk = diskSizes.get(sha);
    if (disk === undefined) throw new Error(`git gave no size on disk for ${file} (${sha})`);
    entry.diskBytes += disk;
    byVersion.set(version, entry);
  }
  return [...byVersion.values()].sort((x, y) => x.version.localeCompare(y.version));
}

export interface TrafficProfile {
  flights: number;
  days: number;
  flightsPerDay: number;
  /** Departures in the busiest hour over the average hour. */
  peakToAverage: number;
}

/** Flights a day and the busiest hour against the average, from departure times in minutes. */
export function trafficProfile(departureMinutes: ArrayLike<number>): TrafficProfile {
  const perHour = new Map<number, number>();
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < departureMinutes.length; i++) {
    const hour = Math.floor(departureMinutes[i] / 60);
    perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    if (hour < first) first = hour;
    if (hour > last) last = hour;
  }
  const hours = last - first + 1;
  const flights = departureMinutes.length;
  if (flights === 0) throw new Error('no departures to profile');
  return {
    flights,
    days: hours / 24,
    flightsPerDay: (flights / hours) * 24,
    peakToAverage: Math.max(...perHour.values()) / (flights / hours),
  };
}
