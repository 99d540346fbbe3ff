/**
 * Test helpers: a complete model card for arbitrary bytes, and throw-away git repositories.
 * Registry and release code never parse the ONNX bytes, so their tests use small fake artifacts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { type EvidenceHead, evidenceModel } from '../lib/release/evidence.ts';
import type { MetricSet, ModelCard } from '../lib/registry/card.ts';
import { sha256Hex } from '../lib/util/hash.ts';

export function fakeMetricSet(auc: number, recallAtBudget: number, ece = 0.01): MetricSet {
  return {
    rows: 120_000,
    positives: 20_000,
    auc,
    logLoss: 0.42,
    brier: 0.13,
    ece,
    recallAtBudget,
    precisionAtBudget: 0.31,
  };
}

export function fakeCard(
  model: Uint8Array,
  options: { asOf?: string; auc?: number; recall?: number; runUrl?: string; version?: string } = {},
): ModelCard {
  const asOf = options.asOf ?? '2001-05-01';
  const sha256 = sha256Hex(model);
  const day = (offset: number) =>
    new Date(Date.parse(`${asOf}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 16);
  const evaluation = fakeMetricSet(options.auc ?? 0.68, options.recall ?? 0.38);
  return {
    schemaVersion: 2,
    name: 'flight-delay',
    version: options.version ?? `${asOf}-${sha256.slice(0, 8)}`,
    createdAt: `${day(0).slice(0, 10)}T06:00:00.000Z`,
    artifact: { file: 'model.onnx', sha256, bytes: model.byteLength },
    code: { commit: '0'.repeat(40), dirty: false },
    data: {
      file: 'vega-datasets/data/flights-3m.parquet',
      sha256: 'a'.repeat(64),
      asOf: day(0),
      label: 'delay > 15 minutes',
      train: { start: '2001-01-01T00:00', end: day(-14), rows: 1_000_000, positives: 180_000 },
      validation: { start: day(-14), end: day(-7), rows: 120_000, positives: 20_000 },
      evaluation: { start: day(-7), end: day(0), rows: 120_000, positives: 20_000 },
    },
    algorithm: 'test',
    params: { trees: 10 },
    trees: 10,
    seed: 1,
    threshold: 0.25,
    metrics: { evaluation, validation: evaluation, slices: [{ slice: 'hour=06-11', metrics: evaluation }] },
    features: { version: 1, numericInputs: ['hour'], stringInputs: ['origin'], lookups: [], featureNames: ['hour'] },
    reference: [],
    golden: [
      { input: { departure: `${day(-1)}`, distance: 500, origin: 'ORD', destination: 'LGA' }, probability: 0.2 },
    ],
    timings: {},
    run: options.runUrl ? { id: options.runUrl.split('/').pop()!, url: options.runUrl } : undefined,
  };
}

/** Writes a candidate folder as the gate leaves it (model, card, and optionally evidence). */
export async function writeCandidate(
  dir: string,
  options: {
    seed: string;
    asOf?: string;
    evidence?: 'pass' | 'fail' | 'none';
    champion?: { version: string; sha256: string } | null;
    auc?: number;
  },
): Promise<{ dir: string; card: ModelCard; model: Uint8Array }> {
  const model = new TextEncoder().encode(`fake onnx ${options.seed}`);
  const card = fakeCard(model, { asOf: options.asOf, auc: options.auc });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), model);
  await writeFile(path.join(dir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  if ((options.evidence ?? 'pass') !== 'none') {
    const verdict = options.evidence === 'fail' ? 'fail' : 'pass';
    const champion = options.champion ?? null;
    const evidence: EvidenceHead = {
      schemaVersion: 1,
      kind: 'taxiway.gate-evidence',
      model: 'flight-delay',
      verdict,
      summary: { passed: verdict === 'pass' ? 12 : 10, failed: verdict === 'pass' ? 0 : 2, skipped: 0, total: 12 },
      candidate: evidenceModel(card),
      champion: champion && { ...evidenceModel(card), ...champion },
    };
    await writeFile(path.join(dir, 'evidence.json'), `${JSON.stringify(evidence, null, 2)}\n`);
    await writeFile(path.join(dir, 'gate-report.md'), `# gate ${verdict}\n`);
  }
  return { dir, card, model };
}

export interface TempRepo {
  dir: string;
  git: SimpleGit;
  cleanup(): Promise<void>;
}

/** A real git repository in the OS temp folder with one initial commit. */
export async function tempRepo(prefix = 'taxiway-repo-'): Promise<TempRepo> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const git = simpleGit(dir);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'Taxiway Test', false, 'local');
  await git.addConfig('user.email', 'test@taxiway.invalid', false, 'local');
  await git.addConfig('commit.gpgsign', 'false', false, 'local');
  await writeFile(path.join(dir, 'README.md'), '# test repo\n');
  await git.add(['README.md']);
  await git.commit('initial');
  return { dir, git, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
