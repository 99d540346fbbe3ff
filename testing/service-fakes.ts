/**
 * In-memory stand-ins for the model manager and models, so the app's HTTP behaviour is tested
 * without ONNX Runtime. Scores are a pure function of the inputs (distance / 10 000).
 */
import { toModelInputs } from '../lib/features/flight-features.ts';
import type { ModelInputs } from '../lib/features/spec.ts';
import type { AppConfig, HeldModel, ModelProvider } from '../service/app.ts';
import type { SyncOutcome } from '../service/model-manager.ts';

/** Drift references and gate slices of the fake models: distance deciles-ish, origin top 2, ORD a hub. */
export const FAKE_CARD = {
  reference: [
    { feature: 'hour', edges: [6, 12, 18, 24], shares: [0.1, 0.4, 0.3, 0.2] },
    { feature: 'distance', edges: [500, 1000, 2000, 5000], shares: [0.4, 0.3, 0.2, 0.1] },
    { feature: 'origin', categories: ['ORD', 'ATL', '(other)'], shares: [0.3, 0.2, 0.5] },
    // Lookup features are inside the graph: the service does not count them.
    { feature: 'route_delay_rate', edges: [0.1, 0.2, 1], shares: [0.3, 0.4, 0.3] },
  ],
  metrics: { slices: [{ slice: 'distance=0-499' }, { slice: 'origin=ORD' }] },
};

export interface FakeModel extends HeldModel {
  holds: number;
  calls: number[];
}

export function fakeModel(
  version = 'v-fake',
  options: { threshold?: number; score?: (inputs: ModelInputs) => Promise<Float32Array> } = {},
): FakeModel {
  const model: FakeModel = {
    version,
    threshold: options.threshold ?? 0.1,
    knownOrigins: new Set(['ORD', 'ATL', 'LGA', 'DFW', 'SFO']),
    knownDestinations: new Set(['ORD', 'ATL', 'LGA', 'DFW', 'SFO']),
    card: FAKE_CARD,
    holds: 0,
    calls: [],
    async scoreFlights(flights) {
      const inputs = toModelInputs(flights);
      model.calls.push(inputs.rows);
      if (options.score) return { scores: await options.score(inputs), featuresMs: 0.01, inferenceMs: 0.02 };
      const out = new Float32Array(inputs.rows);
      // numeric columns: hour, weekday, day_of_month, distance
      for (let r = 0; r < inputs.rows; r++) out[r] = inputs.numeric[r * 4 + 3] / 10_000;
      return { scores: out, featuresMs: 0.01, inferenceMs: 0.02 };
    },
    letGo() {
      model.holds--;
    },
  };
  return model;
}

export interface FakeProvider extends ModelProvider {
  model: FakeModel | null;
  challengerModel: FakeModel | null;
  challengerMode: { mode: 'shadow' | 'canary'; traffic: number } | null;
  syncCalls: { trigger: string; force: boolean }[];
  nextOutcome: SyncOutcome;
}

export function fakeProvider(model: FakeModel | null = fakeModel()): FakeProvider {
  const provider: FakeProvider = {
    model,
    challengerModel: null,
    challengerMode: null,
    syncCalls: [],
    nextOutcome: { result: 'unchanged', revision: 'abc', version: model?.version ?? null },
    get current() {
      return provider.model;
    },
    acquire() {
      const m = provider.model;
      if (m) m.holds++;
      return m;
    },
    status() {
      return { serving: provider.model ? { version: provider.model.version } : null, lastError: null };
    },
    describe() {
      return {
        serving: provider.model ? { version: provider.model.version } : null,
        champion: null,
        previous: null,
        challenger: null,
      };
    },
    challenger() {
      const c = provider.challengerModel;
      return c && provider.challengerMode ? { ...provider.challengerMode, version: c.version } : null;
    },
    acquireChallenger() {
      const c = provider.challengerModel;
      if (c) c.holds++;
      return c;
    },
    async sync(trigger, force = false) {
      provider.syncCalls.push({ trigger, force });
      return provider.nextOutcome;
    },
  };
  return provider;
}

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    maxBatchSize: 256,
    maxBodyBytes: 64 * 1024,
    maxInflight: 64,
    inferenceTimeoutMs: 1000,
    batching: { maxBatchRows: 512, maxWaitMs: 0 },
    feedback: { capacity: 1000, window: 100 },
    adminToken: null,
    logRequests: true,
    monitoring: true,
    ...overrides,
  };
}

export const FLIGHT = { departure: '2001-05-04T17:35', distance: 733, origin: 'ORD', destination: 'LGA' } as const;

/** A response body as loosely typed JSON, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;

export async function json(response: Response): Promise<JsonBody> {
  return response.json();
}
