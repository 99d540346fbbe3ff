/**
 * Regenerates the committed OpenAPI subsets the emulator validates against:
 *   emulator/openapi/api.github.com.json  ← @octokit/openapi (generated/api.github.com.json)
 *   emulator/openapi/webhooks.json        ← @octokit/openapi-webhooks (generated/api.github.com.json)
 * keeping the operations and webhooks listed in emulator/openapi/operations.ts and every component
 * they reference, without descriptions and examples.
 *
 * The packages are large (@octokit/openapi unpacks to ~385 MB), so they are never dependencies:
 * `npm pack` fetches the pinned tarball on demand into .cache/openapi-packages/ (the npm registry,
 * through npm itself), and only the one JSON file is read from it.
 *
 *   node scripts/generate-openapi-subset.ts           # write the subsets
 *   node scripts/generate-openapi-subset.ts --check   # exit 1 if the committed subsets differ
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EMULATED_OPERATIONS,
  EMULATED_WEBHOOKS,
  OPENAPI_PACKAGE,
  WEBHOOKS_PACKAGE,
} from '../emulator/openapi/operations.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface PackageFile {
  name: string;
  version: string;
  file: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SUBSET_PATHS = {
  api: path.join(ROOT, 'emulator/openapi/api.github.com.json'),
  webhooks: path.join(ROOT, 'emulator/openapi/webhooks.json'),
};

/** The JSON file from the package tarball, packing it into the cache first when absent. */
export function readPackageFile(pkg: PackageFile, cacheDir = path.join(ROOT, '.cache/openapi-packages')): JsonObject {
  mkdirSync(cacheDir, { recursive: true });
  const tarball = path.join(cacheDir, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
  if (!existsSync(tarball)) {
    execFileSync('npm', ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', cacheDir, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const text = execFileSync('tar', ['-xzOf', tarball, `package/${pkg.file}`], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(text.toString('utf8')) as JsonObject;
}

// Operations keep `externalDocs`: its URL is the `documentation_url` of GitHub's error bodies.
const DROPPED_KEYS = new Set(['examples', 'x-github', 'x-octokit', 'x-github-breaking-changes']);
const DROPPED_TEXT_KEYS = new Set(['description', 'summary']);

/** A copy without documentation text and examples; every `$ref` met is added to `refs`. */
function strip(value: Json, refs: Set<string>, inProperties = false): Json {
  if (Array.isArray(value)) return value.map((item) => strip(item, refs));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    // Inside `properties` the keys are field names (a field may be called `description`).
    if (!inProperties && DROPPED_KEYS.has(key)) continue;
    if (!inProperties && DROPPED_TEXT_KEYS.has(key) && typeof child === 'string') continue;
    if (key === '$ref' && typeof child === 'string') refs.add(child);
    out[key] = strip(child, refs, !inProperties && key === 'properties');
  }
  return out;
}

/** Resolves `#/components/kind/name` in `spec`. */
function resolvePointer(spec: JsonObject, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node: Json = spec;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) {
      throw new Error(`dangling $ref ${ref}`);
    }
    node = node[key]!;
  }
  return node;
}

/** Copies every component reachable from `refs` into `components` (kind → name → value). */
function collectComponents(spec: JsonObject, refs: Set<string>): JsonObject {
  const components: Record<string, JsonObject> = {};
  const queue = [...refs];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const ref = queue.pop()!;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [, , kind, name] = ref.split('/') as [string, string, string, string];
    const found = new Set<string>();
    (components[kind] ??= {})[name] = strip(resolvePointer(spec, ref), found);
    queue.push(...found);
  }
  return sortKeys(components) as JsonObject;
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key]!)]),
  );
}

/** The API description reduced to `operations` ("METHOD /path") and what they reference. */
export function buildApiSubset(spec: JsonObject, operations: readonly string[], source: PackageFile): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const refs = new Set<string>();
  const allPaths = spec.paths as Record<string, JsonObject>;
  for (const operation of operations) {
    const [method, route] = operation.split(' ') as [string, string];
    const item = allPaths[route];
    const op = item?.[method.toLowerCase()];
    if (!item || !op) throw new Error(`${operation} is not in ${source.name}@${source.version}`);
    const entry = (paths[route] ??= {});
    if (item.parameters) entry.parameters = strip(item.parameters, refs);
    entry[method.toLowerCase()] = strip(op, refs);
  }
  return {
    openapi: spec.openapi!,
    info: {
      title: 'GitHub REST API — the subset the Taxiway emulator serves',
      version: (spec.info as JsonObject).version!,
      'x-taxiway-source': `${source.name}@${source.version} ${source.file}`,
      'x-taxiway-generator': 'node scripts/generate-openapi-subset.ts',
    },
    servers: spec.servers!,
    paths: sortKeys(paths),
    components: collectComponents(spec, refs),
  };
}

/** The webhook description reduced to `webhooks` and what they reference. */
export function buildWebhooksSubset(spec: JsonObject, webhooks: readonly string[], source: PackageFile): JsonObject {
  const all = spec.webhooks as Record<string, JsonObject>;
  const selected: Record<string, Json> = {};
  const refs = new Set<string>();
  for (const name of webhooks) {
    if (!all[name]) throw new Error(`webhook ${name} is not in ${source.name}@${source.version}`);
    selected[name] = strip(all[name], refs);
  }
  return {
    openapi: spec.openapi!,
    info: {
      title: 'GitHub webhooks — the subset the Taxiway emulator records',
      version: (spec.info as JsonObject).version!,
      'x-taxiway-source': `${source.name}@${source.version} ${source.file}`,
      'x-taxiway-generator': 'node scripts/generate-openapi-subset.ts',
    },
    webhooks: sortKeys(selected),
    components: collectComponents(spec, refs),
  };
}

export function generateSubsets(): { api: string; webhooks: string } {
  const api = buildApiSubset(readPackageFile(OPENAPI_PACKAGE), EMULATED_OPERATIONS, OPENAPI_PACKAGE);
  const webhooks = buildWebhooksSubset(readPackageFile(WEBHOOKS_PACKAGE), EMULATED_WEBHOOKS, WEBHOOKS_PACKAGE);
  return { api: `${JSON.stringify(api, null, 1)}\n`, webhooks: `${JSON.stringify(webhooks, null, 1)}\n` };
}

function main(): void {
  const check = process.argv.includes('--check');
  const generated = generateSubsets();
  let stale = 0;
  for (const key of ['api', 'webhooks'] as const) {
    const file = SUBSET_PATHS[key];
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current === generated[key]) continue;
    if (check) {
      console.error(`${path.relative(ROOT, file)} differs from what the script generates`);
      stale++;
    } else {
      writeFileSync(file, generated[key]);
      console.log(`wrote ${path.relative(ROOT, file)} (${generated[key].length.toLocaleString('en-US')} bytes)`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
