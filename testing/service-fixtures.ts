/**
 * Real models and a throwaway git repository for service tests.
 *
 * Two tiny models (7 training days, 20 trees) are trained once with the real training run and
 * cached under `.cache/fixtures/`, keyed by a hash of the code that shapes an artifact, so tests
 * reuse them until that code changes. Parallel test files share one training through a lock.
 * `createFixtureRepo` copies them into a new git repo with a production manifest, and offers the
 * broken artifacts the model manager must refuse.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { GbdtModel } from '../lib/ml/gbdt/model.ts';
import { formatManifest } from '../lib/manifest/format.ts';
import type { ManifestEntry, ProductionManifest } from '../lib/manifest/schema.ts';
import { exportGbdtToOnnx } from '../lib/onnx/export-gbdt.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import { artifactPath } from '../lib/registry/registry.ts';
import { trainModel } from '../lib/training/run.ts';
import { sha256Hex } from '../lib/util/hash.ts';

export interface FixtureModel {
  version: string;
  sha256: string;
  bytes: Uint8Array;
  card: ModelCard;
}

const SPECS = [
  { name: 'a', asOf: '2001-04-01' },
  { name: 'b', asOf: '2001-04-08' },
] as const;
const TRAIN = { trainDays: 7, params: { trees: 20, maxLeaves: 31 }, baseline: false } as const;
/** Code whose changes can change an artifact or card; edits here retrain the fixtures. */
const CODE_DIRS = ['lib/features', 'lib/onnx', 'lib/ml', 'lib/training', 'lib/metrics', 'lib/registry', 'lib/data'];

async function codeHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ SPECS, TRAIN }));
  for (const dir of CODE_DIRS) {
    const files = await readdir(path.join(root, dir), { recursive: true }).catch(() => [] as string[]);
    for (const file of files
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .sort()) {
      hash.update(`${dir}/${file}\u0000`);
      hash.update(await readFile(path.join(root, dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function readFixture(dir: string): Promise<FixtureModel> {
  const bytes = new Uint8Array(await readFile(path.join(dir, 'model.onnx')));
  const card = JSON.parse(await readFile(path.join(dir, 'card.json'), 'utf8')) as ModelCard;
  return { version: card.version, sha256: sha256Hex(bytes), bytes, card };
}

/** Waits for another process's training (a lock folder), taking over a lock older than 5 minutes. */
async function withLock<T>(lock: string, ready: () => Promise<boolean>, work: () => Promise<T>): Promise<T | null> {
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (await ready()) return null;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 5 * 60_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

let cached: Promise<{ a: FixtureModel; b: FixtureModel }> | null = null;

/** Two real model versions (a: asOf 2001-04-01, b: asOf 2001-04-08), trained once and cached. */
export function fixtureModels(root = process.cwd()): Promise<{ a: FixtureModel; b: FixtureModel }> {
  cached ??= (async () => {
    const base = path.join(root, '.cache', 'fixtures', 'service-models');
    const dir = path.join(base, await codeHash(root));
    const complete = () => exists(path.join(dir, 'b', 'card.json'));
    if (!(await complete())) {
      await mkdir(base, { recursive: true });
      await withLock(`${dir}.lock`, complete, async () => {
        if (await complete()) return;
        const partial = `${dir}.partial-${process.pid}`;
        await rm(partial, { recursive: true, force: true });
        for (const spec of SPECS) {
          await trainModel({
            ...TRAIN,
            params: { ...TRAIN.params },
            asOf: spec.asOf,
            outDir: path.join(partial, spec.name),
            codeDir: root,
          });
        }
        await rm(dir, { recursive: true, force: true });
        await rename(partial, dir);
        // Fixtures of older code are dead weight; drop finished ones older than an hour.
        for (const name of await readdir(base)) {
          const other = path.join(base, name);
          if (other === dir || name.includes('.')) continue;
          const age = await stat(other).then(
            (st) => Date.now() - st.mtimeMs,
            () => 0,
          );
          if (age > 3_600_000) await rm(other, { recursive: true, force: true });
        }
      });
    }
    return { a: await readFixture(path.join(dir, 'a')), b: await readFixture(path.join(dir, 'b')) };
  })();
  return cached;
}

export function entryOf(model: Pick<FixtureModel, 'version' | 'sha256'>): ManifestEntry {
  return { version: model.version, path: artifactPath(model.version), sha256: model.sha256 };
}

export function manifestFor(
  champion: ManifestEntry,
  previous: ManifestEntry | null = null,
  reason = 'test',
): ProductionManifest {
  return {
    schemaVersion: 1,
    model: 'flight-delay',
    champion,
    previous,
    challenger: null,
    reason,
    updatedAt: '2001-04-08T00:00:00Z',
  };
}

export interface FixtureRepo {
  dir: string;
  git: SimpleGit;
  models: { a: FixtureModel; b: FixtureModel };
  /** Writes files (repository-relative) and commits them; returns the commit. */
  commit(files: Record<string, Uint8Array | string>, message: string): Promise<string>;
  /** Points the manifest's champion at `entry` (previous = the old champion) and commits. */
  promote(entry: ManifestEntry, message?: string): Promise<string>;
  /** Adds a version folder with these bytes and a card derived from `base` (patched), committed. */
  addVersion(version: string, bytes: Uint8Array, base: ModelCard, patch?: Partial<ModelCard>): Promise<ManifestEntry>;
  manifest(): Promise<ProductionManifest>;
  cleanup(): Promise<void>;
}

/** A new git repository holding models a and b, with a as the champion. */
export async function createFixtureRepo(options: { root?: string; champion?: 'a' | 'b' } = {}): Promise<FixtureRepo> {
  const models = await fixtureModels(options.root);
  const dir = await mkdtemp(path.join(tmpdir(), 'taxiway-service-repo-'));
  const git = simpleGit(dir);
  await git.init(['--initial-branch=main']);
  await git
    .addConfig('user.email', 'tests@taxiway.invalid')
    .addConfig('user.name', 'Taxiway tests')
    .addConfig('commit.gpgsign', 'false');

  const commit = async (files: Record<string, Uint8Array | string>, message: string) => {
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), data);
    }
    await git.add(Object.keys(files));
    await git.commit(message);
    return (await git.revparse(['HEAD'])).trim();
  };
  const manifest = async () =>
    JSON.parse(await readFile(path.join(dir, 'manifests/production.json'), 'utf8')) as ProductionManifest;
  const cardFiles = (m: FixtureModel) => ({
    [artifactPath(m.version)]: m.bytes,
    [path.posix.join(path.posix.dirname(artifactPath(m.version)), 'card.json')]: `${JSON.stringify(m.card, null, 2)}\n`,
  });
  const first = models[options.champion ?? 'a'];
  await commit(
    {
      ...cardFiles(models.a),
      ...cardFiles(models.b),
      'manifests/production.json': formatManifest(manifestFor(entryOf(first))),
    },
    `promote ${first.version}`,
  );

  return {
    dir,
    git,
    models,
    commit,
    manifest,
    async promote(entry, message) {
      const current = await manifest();
      const next = manifestFor(
        entry,
        current.champion.version === entry.version ? current.previous : current.champion,
        message ?? `promote ${entry.version}`,
      );
      return commit({ 'manifests/production.json': formatManifest(next) }, next.reason);
    },
    async addVersion(version, bytes, base, patch = {}) {
      const sha256 = sha256Hex(bytes);
      const card = {
        ...base,
        ...patch,
        version,
        artifact: { file: 'model.onnx', sha256, bytes: bytes.byteLength },
      } as ModelCard;
      await commit(cardFiles({ version, sha256, bytes, card }), `add ${version}`);
      return { version, path: artifactPath(version), sha256 };
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An ONNX artifact that is well-formed but takes an extra numeric column the service never sends. */
export function wrongSchemaArtifact(card: ModelCard, version: string): Uint8Array {
  const spec = card.features;
  const numericInputs = [...spec.numericInputs, 'runway_length'];
  // Any table will do for an artifact refused on its inputs (cards from schema 2 on hold none).
  const lookups = spec.lookups.map(({ name, input, defaultValue }) => ({
    name,
    input,
    keys: ['ORD'],
    values: [defaultValue],
    defaultValue,
  }));
  const wrong = { ...spec, numericInputs, lookups, featureNames: [...numericInputs, ...lookups.map((l) => l.name)] };
  const model: GbdtModel = {
    kind: 'gbdt',
    baseScore: -1.5,
    featureNames: wrong.featureNames,
    trees: [
      { feature: [0, -1, -1], threshold: [12, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -0.1, 0.1] },
    ],
  };
  return exportGbdtToOnnx(model, wrong, { version });
}

/** Bytes that are not an ONNX model at all (a truncated, scrambled copy of a real one). */
export function corruptArtifact(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice(0, Math.floor(bytes.length / 3));
  for (let i = 16; i < out.length; i += 7) out[i] ^= 0x5a;
  return out;
}
