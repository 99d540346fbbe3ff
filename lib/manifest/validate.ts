/**
 * Hand-written schema checks for the files in `manifests/`. Every error names the field the way a
 * reviewer reads the JSON (`manifest.champion.sha256 must be 64 lowercase hex characters`), and all
 * errors are reported at once so a hand edit is fixed in one round.
 */
import type { DataClock, ProductionManifest } from './schema.ts';

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/** Safe as a folder name: letters, digits, dot, dash, underscore; no leading dot. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
const AS_OF = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/;

export class SchemaError extends Error {
  readonly errors: string[];
  constructor(what: string, errors: string[]) {
    super(`${what} is invalid:\n  - ${errors.join('\n  - ')}`);
    this.name = 'SchemaError';
    this.errors = errors;
  }
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : String(value);
}

function validInstant(value: string): boolean {
  const match = ISO_INSTANT.exec(value);
  // Date.parse reads a zoneless stamp as local time; pin it to UTC so the check is machine-independent.
  return match !== null && !Number.isNaN(Date.parse(match[3] ? value : `${value}Z`));
}

/** Collects errors while walking an object; field paths are dotted from `root`. */
class Checker {
  readonly errors: string[] = [];

  fail(field: string, message: string): void {
    this.errors.push(`${field} ${message}`);
  }

  object(value: unknown, field: string, known: readonly string[]): Obj | null {
    if (!isObject(value)) {
      this.fail(field, `must be an object, got ${describe(value)}`);
      return null;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key))
        this.fail(`${field}.${key}`, `is not a known field (expected one of ${known.join(', ')})`);
    }
    for (const key of known) {
      if (!(key in value)) this.fail(`${field}.${key}`, 'is missing');
    }
    return value;
  }

  string(value: unknown, field: string, pattern?: RegExp, expectation?: string): value is string {
    // A missing field was already reported by object().
    if (value === undefined) return false;
    if (typeof value !== 'string') {
      this.fail(field, `must be a string, got ${describe(value)}`);
      return false;
    }
    if (value.trim() === '') {
      this.fail(field, 'must not be empty');
      return false;
    }
    if (pattern && !pattern.test(value)) {
      this.fail(field, `must be ${expectation ?? `a string matching ${pattern}`}, got ${describe(value)}`);
      return false;
    }
    return true;
  }
}

function checkRelativePath(c: Checker, value: unknown, field: string): void {
  if (!c.string(value, field)) return;
  if (
    value.startsWith('/') ||
    value.includes('\\') ||
    value.split('/').some((part) => part === '..' || part === '.' || part === '')
  ) {
    c.fail(field, `must be a repository-relative POSIX path without "." or ".." segments, got ${describe(value)}`);
  } else if (!value.endsWith('.onnx')) {
    c.fail(field, `must name an .onnx file, got ${describe(value)}`);
  }
}

const ENTRY_FIELDS = ['version', 'path', 'sha256'] as const;
const CHALLENGER_FIELDS = [...ENTRY_FIELDS, 'mode', 'traffic'] as const;
export const MANIFEST_FIELDS = [
  'schemaVersion',
  'model',
  'champion',
  'previous',
  'challenger',
  'reason',
  'updatedAt',
] as const;

function checkEntry(c: Checker, value: unknown, field: string, challenger: boolean): void {
  const entry = c.object(value, field, challenger ? CHALLENGER_FIELDS : ENTRY_FIELDS);
  if (!entry) return;
  c.string(entry.version, `${field}.version`, VERSION_PATTERN, 'a version (letters, digits, ".", "-", "_")');
  checkRelativePath(c, entry.path, `${field}.path`);
  c.string(entry.sha256, `${field}.sha256`, SHA256_PATTERN, '64 lowercase hex characters');
  if (!challenger) return;
  if ('mode' in entry && entry.mode !== 'shadow' && entry.mode !== 'canary')
    c.fail(`${field}.mode`, `must be "shadow" or "canary", got ${describe(entry.mode)}`);
  if (!('traffic' in entry)) return;
  if (typeof entry.traffic !== 'number' || !Number.isFinite(entry.traffic) || entry.traffic < 0 || entry.traffic > 1) {
    c.fail(`${field}.traffic`, `must be a number from 0 to 1, got ${describe(entry.traffic)}`);
  } else if (entry.mode === 'canary' && entry.traffic === 0) {
    c.fail(`${field}.traffic`, 'must be above 0 in canary mode (use mode "shadow" for no traffic)');
  }
}

/** Every schema error of a production manifest; [] when it is valid. `root` prefixes field names. */
export function manifestErrors(value: unknown, root = 'manifest'): string[] {
  const c = new Checker();
  const m = c.object(value, root, MANIFEST_FIELDS);
  if (!m) return c.errors;
  if ('schemaVersion' in m && m.schemaVersion !== 1)
    c.fail(`${root}.schemaVersion`, `must be 1, got ${describe(m.schemaVersion)}`);
  if ('model' in m && m.model !== 'flight-delay')
    c.fail(`${root}.model`, `must be "flight-delay", got ${describe(m.model)}`);
  if ('champion' in m) checkEntry(c, m.champion, `${root}.champion`, false);
  if (m.previous !== null && 'previous' in m) checkEntry(c, m.previous, `${root}.previous`, false);
  if (m.challenger !== null && 'challenger' in m) checkEntry(c, m.challenger, `${root}.challenger`, true);
  c.string(m.reason, `${root}.reason`);
  if (c.string(m.updatedAt, `${root}.updatedAt`) && !validInstant(m.updatedAt)) {
    c.fail(`${root}.updatedAt`, `must be an ISO 8601 instant like 2001-05-01T12:00:00Z, got ${describe(m.updatedAt)}`);
  }
  // Cross-field rules, only when the entries themselves are well-formed enough to compare.
  const version = (entry: unknown) =>
    isObject(entry) && typeof entry.version === 'string' ? entry.version : undefined;
  const champion = version(m.champion);
  if (champion !== undefined && champion === version(m.previous)) {
    c.fail(`${root}.previous.version`, `must differ from ${root}.champion.version (${champion})`);
  }
  if (champion !== undefined && champion === version(m.challenger)) {
    c.fail(`${root}.challenger.version`, `must differ from ${root}.champion.version (${champion})`);
  }
  return c.errors;
}

export function validateManifest(value: unknown, what = 'manifests/production.json'): ProductionManifest {
  const errors = manifestErrors(value);
  if (errors.length > 0) throw new SchemaError(what, errors);
  return value as ProductionManifest;
}

export function dataClockErrors(value: unknown, root = 'dataClock'): string[] {
  const c = new Checker();
  const clock = c.object(value, root, ['asOf']);
  if (!clock) return c.errors;
  if (c.string(clock.asOf, `${root}.asOf`, AS_OF, 'a date like 2001-05-01 or 2001-05-01T00:00')) {
    const [date] = clock.asOf.split('T');
    const parsed = new Date(`${date}T00:00:00Z`);
    if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date)
      c.fail(`${root}.asOf`, `is not a calendar date: ${describe(clock.asOf)}`);
  }
  return c.errors;
}

export function validateDataClock(value: unknown, what = 'manifests/data-clock.json'): DataClock {
  const errors = dataClockErrors(value);
  if (errors.length > 0) throw new SchemaError(what, errors);
  return value as DataClock;
}
