/**
 * Real trained models for slow tests and benchmarks, cached under `.cache/fixtures/` keyed by the
 * training options and a hash of the code that produces them (training, features, ONNX export),
 * so a code change retrains instead of testing against a stale artifact.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlightTable } from '../lib/data/flights.ts';
import type { GbdtParams } from '../lib/ml/gbdt/booster.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import { trainModel } from '../lib/training/run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CODE_DIRS = ['lib/training', 'lib/ml', 'lib/features', 'lib/onnx', 'lib/metrics', 'lib/data'];

export interface FixtureOptions {
  asOf: string;
  trainDays?: number;
  params?: Partial<GbdtParams>;
}

async function codeHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of CODE_DIRS) {
    const names = (await readdir(path.join(ROOT, dir), { recursive: true }))
      .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
      .sort();
    for (const name of names) hash.update(name).update(await readFile(path.join(ROOT, dir, name)));
  }
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The folder of a trained model (model.onnx + card.json), training it once if needed. */
export async function fixtureModel(
  options: FixtureOptions,
  context: { table?: FlightTable; log?: (line: string) => void } = {},
): Promise<{ dir: string; card: ModelCard }> {
  const key = createHash('sha256')
    .update(JSON.stringify({ asOf: options.asOf, trainDays: options.trainDays ?? null, params: options.params ?? {} }))
    .update(await codeHash())
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(ROOT, '.cache', 'fixtures', `${options.asOf.slice(0, 10)}-${key}`);
  if (!(await exists(path.join(dir, 'card.json')))) {
    // Train into a private folder and rename, so concurrent test files never see half a fixture.
    const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(staging, { recursive: true });
    try {
      // Fixed threads: the artifact must not depend on the machine.
      await trainModel({
        ...options,
        params: { threads: 2, ...options.params },
        outDir: staging,
        baseline: false,
        table: context.table,
        codeDir: ROOT,
        log: context.log,
      });
      await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
        if (!(await exists(path.join(dir, 'card.json')))) throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const card = JSON.parse(await readFile(path.join(dir, 'card.json'), 'utf8')) as ModelCard;
  return { dir, card };
}

/** Copies of a fixture's files into `dest` (gate outputs must not land in the shared cache). */
export async function copyFixture(fixtureDir: string, dest: string): Promise<string> {
  const { cp } = await import('node:fs/promises');
  await mkdir(dest, { recursive: true });
  for (const file of ['model.onnx', 'card.json']) await cp(path.join(fixtureDir, file), path.join(dest, file));
  return dest;
}
