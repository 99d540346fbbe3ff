/**
 * The flights data set: 3M real US domestic flights (Jan–Jun 2001) from the `vega-datasets`
 * npm package, converted once into a columnar cache outside git.
 *
 * Times are the file's local wall-clock stamps; we keep them as minutes since the Unix epoch,
 * read with UTC getters, so no machine time zone ever leaks in.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sha256Hex } from '../util/hash.ts';

export const DATA_FILE_LABEL = 'vega-datasets/data/flights-3m.parquet';
/** Bumped when the cache layout changes so old caches are rebuilt, not misread. */
const CACHE_FORMAT = 2;

export interface FlightTable {
  rows: number;
  /** Scheduled departure, minutes since 1970-01-01T00:00 (local wall clock read as UTC). */
  departure: Int32Array;
  /** Delay in minutes. */
  delay: Int32Array;
  distance: Int32Array;
  /** Index into `airports`. */
  origin: Uint16Array;
  destination: Uint16Array;
  airports: string[];
  /** sha256 of the source parquet file. */
  sourceSha256: string;
}

export interface LoadOptions {
  /** Where the columnar cache lives; default `.cache/flights` under the current directory. */
  cacheDir?: string;
  /** The parquet file; default the one inside the installed `vega-datasets` package. */
  sourceFile?: string;
  /** Progress lines for long steps (conversion). */
  log?: (line: string) => void;
}

export function defaultSourceFile(): string {
  // The package's `exports` hide data/, so resolve its entry point and walk to the package root.
  const require = createRequire(import.meta.url);
  const entry = require.resolve('vega-datasets');
  const root = entry.slice(0, entry.lastIndexOf(`${path.sep}vega-datasets${path.sep}`) + '/vega-datasets'.length);
  return path.join(root, 'data', 'flights-3m.parquet');
}

const COLUMNS = ['departure', 'delay', 'distance', 'origin', 'destination'] as const;

interface CacheMeta {
  format: number;
  sourceSha256: string;
  rows: number;
  airports: string[];
}

/** Loads the table from the cache, converting the parquet file first if the cache is missing or stale. */
export async function loadFlights(options: LoadOptions = {}): Promise<FlightTable> {
  const sourceFile = options.sourceFile ?? defaultSourceFile();
  const cacheDir = options.cacheDir ?? path.resolve('.cache/flights');
  const log = options.log ?? (() => {});
  const source = await readFile(sourceFile);
  const sourceSha256 = sha256Hex(source);
  const cached = await readCache(cacheDir, sourceSha256);
  if (cached) return cached;
  log(`converting ${sourceFile} into a columnar cache at ${cacheDir} (once)…`);
  const started = performance.now();
  const table = await convertParquet(source, sourceSha256);
  await writeCache(cacheDir, table);
  log(
    `converted ${table.rows.toLocaleString('en-US')} flights in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return table;
}

async function readCache(dir: string, sourceSha256: string): Promise<FlightTable | null> {
  let meta: CacheMeta;
  try {
    meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as CacheMeta;
  } catch {
    return null;
  }
  if (meta.format !== CACHE_FORMAT || meta.sourceSha256 !== sourceSha256) return null;
  const read = async (name: string) => {
    const buf = await readFile(path.join(dir, `${name}.bin`));
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  };
  const [departure, delay, distance, origin, destination] = await Promise.all(COLUMNS.map(read));
  const table: FlightTable = {
    rows: meta.rows,
    departure: new Int32Array(departure),
    delay: new Int32Array(delay),
    distance: new Int32Array(distance),
    origin: new Uint16Array(origin),
    destination: new Uint16Array(destination),
    airports: meta.airports,
    sourceSha256,
  };
  for (const name of COLUMNS) {
    if (table[name].length !== meta.rows) return null;
  }
  return table;
}

async function writeCache(dir: string, table: FlightTable): Promise<void> {
  // Write into a sibling folder and rename, so a crash never leaves a half-written cache.
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const name of COLUMNS) {
    const column = table[name];
    await writeFile(
      path.join(staging, `${name}.bin`),
      new Uint8Array(column.buffer, column.byteOffset, column.byteLength),
    );
  }
  const meta: CacheMeta = {
    format: CACHE_FORMAT,
    sourceSha256: table.sourceSha256,
    rows: table.rows,
    airports: table.airports,
  };
  await writeFile(path.join(staging, 'meta.json'), JSON.stringify(meta));
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  await rename(staging, dir);
}

/** Decodes the parquet file into columns, sorted by departure time (stable). */
export async function convertParquet(source: Uint8Array, sourceSha256: string): Promise<FlightTable> {
  const { parquetRead } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file = source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength) as ArrayBuffer;
  const chunks: Record<string, { rowStart: number; data: ArrayLike<unknown> }[]> = {};
  await parquetRead({
    file,
    compressors,
    columns: ['date', 'delay', 'distance', 'origin', 'destination'],
    // Minutes since the epoch as a plain number: no Date objects for 3M rows.
    parsers: { timestampFromMicroseconds: (micros: bigint) => Number(micros / 60_000_000n) },
    onChunk: (chunk) => {
      (chunks[chunk.columnName] ??= []).push({
        rowStart: chunk.rowStart,
        data: chunk.columnData as ArrayLike<unknown>,
      });
    },
  });
  const column = (name: string): unknown[] => {
    const parts = (chunks[name] ?? []).sort((a, b) => a.rowStart - b.rowStart);
    const out: unknown[] = [];
    for (const part of parts) for (let i = 0; i < part.data.length; i++) out.push(part.data[i]);
    return out;
  };
  const dates = column('date');
  const delays = column('delay');
  const distances = column('distance');
  const origins = column('origin');
  const destinations = column('destination');
  const rows = dates.length;
  for (const [name, values] of [
    ['delay', delays],
    ['distance', distances],
    ['origin', origins],
    ['destination', destinations],
  ] as const) {
    if (values.length !== rows)
      throw new Error(`flights parquet: column ${name} has ${values.length} rows, date has ${rows}`);
  }
  const airportSet = new Set<string>();
  for (let i = 0; i < rows; i++) {
    airportSet.add(String(origins[i]));
    airportSet.add(String(destinations[i]));
  }
  const airports = [...airportSet].sort();
  const airportIndex = new Map(airports.map((code, i) => [code, i]));
  const order = Array.from({ length: rows }, (_, i) => i);
  const minute = (i: number) => Number(dates[i]);
  order.sort((a, b) => minute(a) - minute(b) || a - b);
  const table: FlightTable = {
    rows,
    departure: new Int32Array(rows),
    delay: new Int32Array(rows),
    distance: new Int32Array(rows),
    origin: new Uint16Array(rows),
    destination: new Uint16Array(rows),
    airports,
    sourceSha256,
  };
  for (let k = 0; k < rows; k++) {
    const i = order[k];
    const value = (v: unknown, name: string) => {
      if (v === null || v === undefined) throw new Error(`flights parquet: row ${i} has no ${name}`);
      return Number(v);
    };
    table.departure[k] = value(dates[i], 'date');
    table.delay[k] = value(delays[i], 'delay');
    table.distance[k] = value(distances[i], 'distance');
    table.origin[k] = airportIndex.get(String(origins[i]))!;
    table.destination[k] = airportIndex.get(String(destinations[i]))!;
  }
  return table;
}

export function minutesFromIso(iso: string): number {
  const ms = Date.parse(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(ms)) throw new Error(`not an ISO date: ${JSON.stringify(iso)}`);
  return Math.floor(ms / 60_000);
}

export function isoFromMinutes(minutes: number): string {
  return new Date(minutes * 60_000).toISOString().slice(0, 16);
}

/** First row index whose departure is >= `minute` (the table is sorted by departure). */
export function lowerBound(table: FlightTable, minute: number): number {
  let lo = 0;
  let hi = table.rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table.departure[mid] < minute) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Row range [start, end) of flights departing in [from, to). */
export interface RowRange {
  start: number;
  end: number;
}

export function selectWindow(table: FlightTable, fromIso: string, toIso: string): RowRange {
  const from = minutesFromIso(fromIso);
  const to = minutesFromIso(toIso);
  if (to < from) throw new Error(`window end ${toIso} is before its start ${fromIso}`);
  return { start: lowerBound(table, from), end: lowerBound(table, to) };
}

/** Label: a flight is delayed when it left more than 15 minutes late. */
export const DELAY_THRESHOLD_MINUTES = 15;
export const LABEL_DEFINITION = `delay > ${DELAY_THRESHOLD_MINUTES} minutes`;

export function isDelayed(table: FlightTable, row: number): boolean {
  return table.delay[row] > DELAY_THRESHOLD_MINUTES;
}

/** One table row as the service would receive it. */
export function rawFlightAt(
  table: FlightTable,
  row: number,
): { departure: string; distance: number; origin: string; destination: string } {
  return {
    departure: isoFromMinutes(table.departure[row]),
    distance: table.distance[row],
    origin: table.airports[table.origin[row]],
    destination: table.airports[table.destination[row]],
  };
}
