import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureSpec } from '../lib/onnx/graph.ts';
import { MAX_CARD_BYTES, type ModelCardV2 } from '../lib/registry/card.ts';
import { trainModel } from '../lib/training/run.ts';
import { sha256Hex } from '../lib/util/hash.ts';

const run = promisify(execFile);
const SMALL = { asOf: '2001-04-01', trainDays: 7, params: { trees: 25, maxLeaves: 31 } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'taxiway-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a training run', () => {
  it('writes model.onnx and a complete card, and the CLI reproduces the same sha256', async () => {
    const first = await trainModel({ ...SMALL, outDir: path.join(dir, 'a'), baseline: false });
    const bytes = await readFile(first.modelPath);
    const cardText = await readFile(first.cardPath, 'utf8');
    const card = JSON.parse(cardText) as ModelCardV2;
    // Lean: the lookup tables are in model.onnx only; the card keeps their shape.
    expect(card.schemaVersion).toBe(2);
    expect(Buffer.byteLength(cardText)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    const graph = readFeatureSpec(bytes);
    expect(card.features.lookups).toEqual(
      graph.lookups.map((l) => ({
        name: l.name,
        input: l.input,
        keyCount: l.keys.length,
        defaultValue: l.defaultValue,
      })),
    );
    expect(card.features.lookups.find((l) => l.name === 'route_delay_rate')!.keyCount).toBeGreaterThan(1000);
    expect(card.artifact).toEqual({ file: 'model.onnx', sha256: sha256Hex(bytes), bytes: bytes.byteLength });
    expect(card.version).toMatch(/^2001-04-01-[0-9a-f]{8}$/);
    expect(card.data.evaluation).toMatchObject({ start: '2001-03-25T00:00', end: '2001-04-01T00:00' });
    expect(card.data.evaluation.rows).toBeGreaterThan(100_000);
    expect(card.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card.metrics.evaluation.auc).toBeGreaterThan(0.6);
    expect(card.metrics.slices.some((s) => s.slice.startsWith('origin='))).toBe(true);
    expect(card.golden.length).toBeGreaterThanOrEqual(10);
    expect(card.reference.map((r) => r.feature)).toEqual(
      expect.arrayContaining(['hour', 'distance', 'route_delay_rate', 'origin']),
    );
    expect(card.threshold).toBeGreaterThan(0);

    const cli = path.join(process.cwd(), 'cli/train.ts');
    const { stdout } = await run(process.execPath, [
      cli,
      '--as-of',
      SMALL.asOf,
      '--train-days',
      '7',
      '--trees',
      '25',
      '--max-leaves',
      '31',
      '--no-baseline',
      '--out',
      path.join(dir, 'b'),
    ]);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary.sha256).toBe(card.artifact.sha256);
    expect(sha256Hex(await readFile(path.join(dir, 'b', 'model.onnx')))).toBe(card.artifact.sha256);
  }, 120_000);

  it('names the flag when a CLI argument is wrong', async () => {
    const cli = path.join(process.cwd(), 'cli/train.ts');
    await expect(run(process.execPath, [cli, '--as-of', '2001-04-01', '--trees', 'many'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--trees must be a number'),
    });
  });
});
