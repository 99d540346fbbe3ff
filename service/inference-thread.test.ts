import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toModelInputs } from '../lib/features/flight-features.ts';
import { loadOnnxScorer } from '../lib/onnx/runtime.ts';
import { packFlights, unpackFlights } from './flight-pack.ts';
import { type InferenceThread, startInferenceThread } from './inference-thread.ts';
import { silentLogger } from './logger.ts';
import { ModelManager } from './model-manager.ts';
import { localGitSource } from './model-source.ts';
import { inThreadScorer, splitScorer } from './scorer.ts';
import {
  corruptArtifact,
  createFixtureRepo,
  type FixtureRepo,
  wrongSchemaArtifact,
} from '../testing/service-fixtures.ts';

let repo: FixtureRepo;
let thread: InferenceThread;

beforeAll(async () => {
  repo = await createFixtureRepo();
  thread = startInferenceThread({ intraOpThreads: 1 });
}, 180_000);

afterAll(async () => {
  await thread?.close();
  await repo?.cleanup();
});

describe('packFlights / unpackFlights', () => {
  it('round-trip any valid flights exactly', () => {
    const flight = fc.record({
      departure: fc
        .date({ min: new Date('1971-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 19)),
      distance: fc.double({ min: 1, max: 10_000, noNaN: true }),
      origin: fc.stringMatching(/^[A-Z]{3}$/),
      destination: fc.stringMatching(/^[A-Z]{3}$/),
    });
    fc.assert(
      fc.property(fc.array(flight, { minLength: 1, maxLength: 40 }), (flights) => {
        const packed = packFlights(flights);
        expect(unpackFlights(packed.departures, packed.airports, packed.distances)).toEqual(flights);
      }),
    );
  });
});

describe('the inference worker', () => {
  it('scores exactly like ONNX Runtime in this thread', async () => {
    const { a } = repo.models;
    const flights = a.card.golden.map((g) => g.input);
    const worker = await thread.loadScorer(a.bytes);
    const local = await loadOnnxScorer(a.bytes);
    const remote = await worker.scoreFlights(flights);
    expect(Array.from(remote.scores)).toEqual(Array.from(await local.score(toModelInputs(flights))));
    expect(remote.inferenceMs).toBeGreaterThan(0);
    await worker.release();
    await local.release();
    await expect(worker.scoreFlights(flights)).rejects.toThrow(/no session \d+ in the inference worker/);
  });

  it('reports corrupt and wrong-schema artifacts with the loader message the manager classifies', async () => {
    await expect(thread.loadScorer(corruptArtifact(repo.models.b.bytes))).rejects.toThrow(/corrupt|cannot load/);
    await expect(thread.loadScorer(wrongSchemaArtifact(repo.models.b.card, 'x'))).rejects.toThrow(/feature contract/);
  });

  it('backs the model manager: a split scorer verifies both sessions, serves, swaps and releases', async () => {
    const load = async (bytes: Uint8Array) =>
      splitScorer(inThreadScorer(await loadOnnxScorer(bytes)), await thread.loadScorer(bytes), 8);
    const m = new ModelManager({
      source: localGitSource(repo.dir),
      loadScorer: load,
      logger: silentLogger,
      warmupRows: 64,
    });
    expect(await m.sync('startup')).toMatchObject({ result: 'loaded', version: repo.models.a.version });
    const held = m.acquire()!;
    const flights = repo.models.a.card.golden.map((g) => g.input);
    // 18 golden rows ≥ 8: the worker's session answers.
    expect(Array.from((await held.scoreFlights(flights)).scores)).toEqual(
      repo.models.a.card.golden.map((g) => Math.fround(g.probability)),
    );
    held.letGo();
    await m.close();
  });
});
