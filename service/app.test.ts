import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp, type AppConfig, type ServiceState } from './app.ts';
import { memoryLogger } from './logger.ts';
import { createServiceMetrics } from './service-metrics.ts';
import { FLIGHT, fakeModel, fakeProvider, type FakeProvider, json, testConfig } from '../testing/service-fakes.ts';
import { stickyShare } from './routes/predict.ts';

function setup(options: { provider?: FakeProvider; config?: Partial<AppConfig>; state?: ServiceState } = {}) {
  const provider = options.provider ?? fakeProvider();
  const metrics = createServiceMetrics();
  const logger = memoryLogger();
  let n = 0;
  const app = createApp({
    config: testConfig(options.config),
    models: provider,
    metrics,
    logger,
    state: options.state,
    newRequestId: () => `req-${++n}`,
  });
  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { app, provider, metrics, logger, post };
}

async function errorOf(response: Response) {
  const body = (await response.json()) as {
    error: { status: number; message: string; issues?: { field: string; problem: string }[] };
  };
  return body.error;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('POST /v1/predict', () => {
  it('scores one flight: probability, delayed flag against the threshold, model version, request id in body and header', async () => {
    const { post, provider } = setup();
    const res = await post('/v1/predict', FLIGHT);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(res.headers.get('x-model-version')).toBe('v-fake');
    const body = await json(res);
    expect(body).toEqual({
      requestId: 'req-1',
      model: 'v-fake',
      probability: Math.fround(0.0733),
      delayed: false,
      threshold: 0.1,
    });
    expect(provider.model!.holds).toBe(0);
  });

  it('flags a flight whose probability is at or above the card threshold', async () => {
    const { post } = setup();
    const body = await json(await post('/v1/predict', { ...FLIGHT, distance: 2500 }));
    expect(body.delayed).toBe(true);
  });

  it('scores a batch in request order', async () => {
    const { post, provider } = setup();
    const flights = [100, 2000, 300].map((distance) => ({ ...FLIGHT, distance }));
    const res = await post('/v1/predict', { flights });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.predictions.map((p: { probability: number }) => p.probability)).toEqual(
      [0.01, 0.2, 0.03].map(Math.fround),
    );
    expect(body.predictions.map((p: { delayed: boolean }) => p.delayed)).toEqual([false, true, false]);
    expect(body.model).toBe('v-fake');
    expect(provider.model!.holds).toBe(0);
  });

  it('merges concurrent single-row requests into one model call', async () => {
    const { post, provider } = setup();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post('/v1/predict', { ...FLIGHT, distance: 100 + i })),
    );
    const bodies = await Promise.all(responses.map((r) => json(r)));
    bodies.forEach((b, i) => expect(b.probability).toBe(Math.fround((100 + i) / 10_000)));
    expect(provider.model!.calls.reduce((a, b) => a + b, 0)).toBe(20);
    expect(provider.model!.calls.length).toBeLessThan(20);
  });

  const invalid: [string, unknown, string][] = [
    [
      'a missing field',
      { departure: FLIGHT.departure, origin: 'ORD', destination: 'LGA' },
      'distance must be a finite number between 1 and 10000, got nothing',
    ],
    [
      'a string distance',
      { ...FLIGHT, distance: '733' },
      'distance must be a finite number between 1 and 10000, got string "733"',
    ],
    [
      '"NaN" as distance',
      { ...FLIGHT, distance: 'NaN' },
      'distance must be a finite number between 1 and 10000, got string "NaN"',
    ],
    [
      '"Infinity" as distance',
      { ...FLIGHT, distance: 'Infinity' },
      'distance must be a finite number between 1 and 10000',
    ],
    [
      'a distance out of range',
      { ...FLIGHT, distance: 20_000 },
      'distance must be a finite number between 1 and 10000, got number 20000',
    ],
    ['a zero distance', { ...FLIGHT, distance: 0 }, 'distance must be a finite number between 1 and 10000'],
    [
      'an impossible date',
      { ...FLIGHT, departure: '2001-02-30T10:00' },
      'departure must be a local date-time like "2001-05-04T17:35"',
    ],
    ['a date with a zone', { ...FLIGHT, departure: '2001-05-04T17:35Z' }, 'departure must be a local date-time'],
    ['a numeric departure', { ...FLIGHT, departure: 988997700000 }, 'departure must be a local date-time'],
    [
      'a lower-case airport',
      { ...FLIGHT, origin: 'ord' },
      'origin must be a 3-letter IATA airport code in capitals, like "ORD", got string "ord"',
    ],
    ['a 4-letter airport', { ...FLIGHT, destination: 'KORD' }, 'destination must be a 3-letter IATA airport code'],
    [
      'a null airport',
      { ...FLIGHT, destination: null },
      'destination must be a 3-letter IATA airport code in capitals, like "ORD", got null',
    ],
    [
      'an array body',
      [FLIGHT],
      'body must be a flight object with departure, distance, origin, destination, got an array',
    ],
    ['a number body', 42, 'body must be a flight object'],
    ['null', null, 'body must be a flight object'],
    [
      'flights that is not an array',
      { flights: FLIGHT },
      'flights must be an array of 1 to 256 flight objects, got an object',
    ],
    ['an empty batch', { flights: [] }, 'flights must be an array of 1 to 256 flight objects, got an empty array'],
    [
      'a bad row in a batch',
      { flights: [FLIGHT, FLIGHT, FLIGHT, { ...FLIGHT, distance: 'NaN' }] },
      'flights[3].distance must be a finite number between 1 and 10000, got string "NaN"',
    ],
    ['a non-object row', { flights: [FLIGHT, 'ORD-LGA'] }, 'flights[1] must be a flight object'],
  ];
  it.each(invalid)('answers 400 naming the field for %s', async (_name, body, message) => {
    const { post, provider } = setup();
    const res = await post('/v1/predict', body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.message).toContain(message);
    expect(error.issues?.[0].field).toBe(message.split(' ')[0]);
    expect(provider.model!.calls).toEqual([]);
  });

  it('lists every problem of a row, not only the first', async () => {
    const { post } = setup();
    const error = await errorOf(
      await post('/v1/predict', { departure: 'soon', distance: -1, origin: 'x', destination: 7 }),
    );
    expect(error.issues!.map((i) => i.field)).toEqual(['departure', 'distance', 'origin', 'destination']);
  });

  it('answers 400 for malformed or empty JSON', async () => {
    const { post } = setup();
    const broken = await errorOf(await post('/v1/predict', '{"departure": "2001-05-04T17:35",'));
    expect(broken.status).toBe(400);
    expect(broken.message).toMatch(/^body is not valid JSON: /);
    const empty = await post('/v1/predict', '');
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).message).toBe('body is empty; send a JSON object');
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    const { post } = setup();
    const text = await post('/v1/predict', JSON.stringify(FLIGHT), { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((await errorOf(text)).message).toBe('content-type must be application/json, got "text/plain"');
    const none = await post('/v1/predict', JSON.stringify(FLIGHT), {});
    expect(none.status).toBe(415);
    const charset = await post('/v1/predict', FLIGHT, { 'content-type': 'Application/JSON; charset=utf-8' });
    expect(charset.status).toBe(200);
  });

  it('answers 413 for a body over the limit and for a batch over the maximum size', async () => {
    const { post } = setup({ config: { maxBodyBytes: 2048, maxBatchSize: 4 } });
    const big = await post('/v1/predict', { ...FLIGHT, padding: 'x'.repeat(4000) });
    expect(big.status).toBe(413);
    expect((await errorOf(big)).message).toMatch(/^body is \d+ bytes; the limit is 2048 bytes$/);
    const many = await post('/v1/predict', { flights: Array.from({ length: 5 }, () => FLIGHT) });
    expect(many.status).toBe(413);
    expect((await errorOf(many)).message).toBe(
      'flights has 5 items; at most 4 are allowed per request (split the batch)',
    );
  });

  it('scores unknown airports and counts them', async () => {
    const { post, metrics } = setup();
    const res = await post('/v1/predict', {
      flights: [
        { ...FLIGHT, origin: 'ZZZ' },
        { ...FLIGHT, origin: 'ZZZ', destination: 'QQQ' },
      ],
    });
    expect(res.status).toBe(200);
    expect(metrics.unknownAirports.labels('origin').value).toBe(2);
    expect(metrics.unknownAirports.labels('destination').value).toBe(1);
  });

  it('answers 503 with Retry-After until a model is loaded', async () => {
    const { post } = setup({ provider: fakeProvider(null) });
    const res = await post('/v1/predict', FLIGHT);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await errorOf(res)).message).toContain('no model is loaded yet');
  });

  it('answers 429 with Retry-After above the concurrency cap instead of queueing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const model = fakeModel('v-slow', {
      score: async (inputs) => {
        await gate;
        return new Float32Array(inputs.rows).fill(0.5);
      },
    });
    const { post, metrics } = setup({ provider: fakeProvider(model), config: { maxInflight: 2 } });
    const first = post('/v1/predict', FLIGHT);
    const second = post('/v1/predict', FLIGHT);
    await new Promise((r) => setImmediate(r));
    const third = await post('/v1/predict', FLIGHT);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect((await errorOf(third)).message).toContain('limit of 2 concurrent predictions');
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect((await post('/v1/predict', FLIGHT)).status).toBe(200);
    expect(metrics.rejected.labels('overload').value).toBe(1);
  });

  it('answers 503 when inference times out, and keeps the model held until its batch finishes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let finish!: () => void;
    const model = fakeModel('v-stuck', {
      score: (inputs) => new Promise((resolve) => (finish = () => resolve(new Float32Array(inputs.rows)))),
    });
    const { post, metrics } = setup({ provider: fakeProvider(model), config: { inferenceTimeoutMs: 250 } });
    const pending = post('/v1/predict', FLIGHT);
    await vi.advanceTimersByTimeAsync(249);
    expect(model.holds).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const res = await pending;
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toBe('inference did not finish within 250 ms; retry shortly');
    expect(metrics.rejected.labels('timeout').value).toBe(1);
    // The batch is still running on this model, so it must not be released yet.
    expect(model.holds).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(model.holds).toBe(0);
  });

  it('answers 500 with the request id when the model fails, and logs it', async () => {
    const model = fakeModel('v-broken', { score: () => Promise.reject(new Error('ORT exploded')) });
    const { post, logger } = setup({ provider: fakeProvider(model) });
    const res = await post('/v1/predict', FLIGHT);
    expect(res.status).toBe(500);
    expect((await errorOf(res)).message).toContain('req-1');
    expect(logger.records.find((r) => r.event === 'request_failed')).toMatchObject({ requestId: 'req-1' });
    expect(model.holds).toBe(0);
  });

  it('records request, stage, prediction and score metrics, and one log line per request', async () => {
    const { post, metrics, logger } = setup();
    await post('/v1/predict', FLIGHT);
    await post('/v1/predict', { flights: [FLIGHT, { ...FLIGHT, distance: 2000 }] });
    await post('/v1/predict', '{');
    expect(metrics.requests.labels('/v1/predict', 'POST', '200').value).toBe(2);
    expect(metrics.requests.labels('/v1/predict', 'POST', '400').value).toBe(1);
    expect(metrics.predictions.labels('v-fake').value).toBe(3);
    expect(metrics.flagged.labels('v-fake').value).toBe(1);
    expect(metrics.score.labels('v-fake').count).toBe(3);
    for (const stage of ['validate', 'queue', 'features', 'inference', 'serialize'])
      expect(metrics.stageDuration.labels(stage).count).toBeGreaterThan(0);
    const lines = logger.records.filter((r) => r.event === 'request');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ requestId: 'req-3', method: 'POST', route: '/v1/predict', status: 400 });
    expect(typeof lines[0].ms).toBe('number');
  });
});

describe('challenger', () => {
  const flights = Array.from({ length: 400 }, (_, i) => ({
    ...FLIGHT,
    departure: `2001-05-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
  }));

  it('canary: a sticky share of flights is answered by the challenger', async () => {
    const provider = fakeProvider();
    provider.challengerModel = fakeModel('v-canary');
    provider.challengerMode = { mode: 'canary', traffic: 0.25 };
    const { post } = setup({ provider });
    const versions = [];
    for (const f of flights) versions.push((await json(await post('/v1/predict', f))).model);
    const share = versions.filter((v) => v === 'v-canary').length / flights.length;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.32);
    // Sticky: the same flight goes to the same model every time.
    for (let i = 0; i < 20; i++) expect((await json(await post('/v1/predict', flights[i]))).model).toBe(versions[i]);
    expect(provider.model!.holds).toBe(0);
    expect(provider.challengerModel.holds).toBe(0);
  });

  it('shadow: the champion answers, the challenger scores the same rows off the hot path', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const provider = fakeProvider();
    // The shadow model says distance / 5000: twice the champion, so some flags differ.
    provider.challengerModel = fakeModel('v-shadow', {
      threshold: 0.1,
      score: async (inputs) => Float32Array.from({ length: inputs.rows }, (_, r) => inputs.numeric[r * 4 + 3] / 5000),
    });
    provider.challengerMode = { mode: 'shadow', traffic: 0 };
    const { post, metrics } = setup({ provider });
    const res = await json(
      await post('/v1/predict', {
        flights: [
          { ...FLIGHT, distance: 100 },
          { ...FLIGHT, distance: 700 },
          { ...FLIGHT, distance: 3000 },
        ],
      }),
    );
    expect(res.model).toBe('v-fake');
    await vi.advanceTimersByTimeAsync(10);
    expect(metrics.shadowPredictions.labels('v-shadow').value).toBe(3);
    // 700 miles: served 0.07 (not flagged), shadow 0.14 (flagged).
    expect(metrics.shadowDisagreements.labels('v-shadow').value).toBe(1);
    expect(metrics.shadowDifference.labels('v-shadow').count).toBe(3);
    expect(metrics.predictions.labels('v-shadow').value).toBe(0);
    // Both models' scoring calls are timed, by role, for the release step's latency comparison.
    expect(metrics.modelInference.labels('v-shadow', 'shadow').count).toBe(1);
    expect(metrics.modelInference.labels('v-fake', 'served').count).toBe(1);
    expect(metrics.modelInference.labels('v-shadow', 'served').count).toBe(0);
    expect(provider.challengerModel.holds).toBe(0);
  });

  it('shadow with shadowSamplePercent: the challenger scores the sticky share of flights canary routing would pick', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const provider = fakeProvider();
    provider.challengerModel = fakeModel('v-shadow');
    provider.challengerMode = { mode: 'shadow', traffic: 0 };
    const { post, metrics } = setup({ provider, config: { shadowSamplePercent: 25 } });
    for (const f of flights) expect((await post('/v1/predict', f)).status).toBe(200);
    await vi.advanceTimersByTimeAsync(10);
    const sampled = flights.filter((f) => stickyShare(f) < 0.25).length;
    expect(sampled / flights.length).toBeGreaterThan(0.18);
    expect(sampled / flights.length).toBeLessThan(0.32);
    expect(metrics.shadowPredictions.labels('v-shadow').value).toBe(sampled);
    expect(metrics.shadowUnsampled.labels().value).toBe(flights.length - sampled);
    // Every request is still answered by the champion.
    expect(metrics.predictions.labels('v-fake').value).toBe(flights.length);
    // Sticky: the same flights again add exactly the same count.
    for (const f of flights) await post('/v1/predict', f);
    await vi.advanceTimersByTimeAsync(10);
    expect(metrics.shadowPredictions.labels('v-shadow').value).toBe(2 * sampled);
    expect(provider.challengerModel.holds).toBe(0);
  });

  it('shadow batches wait shadowMaxWaitMs to fill: requests answered one by one, shadow-scored in one call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const provider = fakeProvider();
    provider.challengerModel = fakeModel('v-shadow');
    provider.challengerMode = { mode: 'shadow', traffic: 0 };
    const { post, metrics } = setup({ provider, config: { shadowMaxWaitMs: 10 } });
    for (const distance of [100, 700, 3000]) {
      expect((await post('/v1/predict', { ...FLIGHT, distance })).status).toBe(200);
    }
    expect(metrics.modelInference.labels('v-fake', 'served').count).toBe(3);
    expect(metrics.shadowPredictions.labels('v-shadow').value).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(metrics.shadowPredictions.labels('v-shadow').value).toBe(3);
    expect(metrics.modelInference.labels('v-shadow', 'shadow').count).toBe(1);
    expect(provider.challengerModel.holds).toBe(0);
  });
});

describe('POST /v1/feedback', () => {
  it('joins an outcome by request id (and batch row) and by flight, and updates online quality', async () => {
    const { post } = setup();
    const single = await json(await post('/v1/predict', { ...FLIGHT, distance: 2000 }));
    const batch = await json(
      await post('/v1/predict', {
        flights: [
          { ...FLIGHT, distance: 100 },
          { ...FLIGHT, origin: 'ATL', distance: 300 },
        ],
      }),
    );

    const byId = await post('/v1/feedback', { requestId: single.requestId, delayMinutes: 45 });
    expect(byId.status).toBe(200);
    expect(await json(byId)).toMatchObject({
      requestId: single.requestId,
      index: 0,
      model: 'v-fake',
      flagged: true,
      delayed: true,
    });

    const byRow = await json(await post('/v1/feedback', { requestId: batch.requestId, index: 1, delayMinutes: 3 }));
    expect(byRow).toMatchObject({ index: 1, probability: Math.fround(0.03), delayed: false });

    const byFlight = await post('/v1/feedback', {
      flight: { departure: `${FLIGHT.departure}:00`, origin: 'ORD', destination: 'LGA' },
      delayMinutes: -2,
    });
    expect(byFlight.status).toBe(200);
    const joined = await json(byFlight);
    // The latest prediction for that flight is row 0 of the batch (ids are kept only as hashes).
    expect(joined).toMatchObject({ requestId: null, index: 0, probability: Math.fround(0.01) });
    expect(joined.quality).toMatchObject({ total: 3, rows: 3, positives: 1, auc: 1, recallAtBudget: 1 });
  });

  it('answers 404 for an unknown prediction, 409 for a second outcome, 400 naming the field', async () => {
    const { post } = setup();
    const { requestId } = await json(await post('/v1/predict', FLIGHT));
    const unknown = await post('/v1/feedback', { requestId: 'nope', delayMinutes: 1 });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toContain('requestId does not match a recent prediction');
    expect((await post('/v1/feedback', { requestId, delayMinutes: 1 })).status).toBe(200);
    const again = await post('/v1/feedback', { requestId, delayMinutes: 1 });
    expect(again.status).toBe(409);
    const bad = await errorOf(await post('/v1/feedback', { requestId, delayMinutes: 'late' }));
    expect(bad.message).toBe(
      'delayMinutes must be a finite number of minutes between -1440 and 10000 (negative = early), got string "late"',
    );
    const neither = await errorOf(await post('/v1/feedback', { delayMinutes: 5 }));
    expect(neither.message).toBe('requestId or flight is required: say which prediction the outcome belongs to');
    const badFlight = await errorOf(
      await post('/v1/feedback', { flight: { departure: 'x', origin: 'ORD', destination: 'LGA' }, delayMinutes: 5 }),
    );
    expect(badFlight.issues![0].field).toBe('flight.departure');
    expect((await post('/v1/feedback', { requestId, index: -1, delayMinutes: 1 })).status).toBe(400);
    expect((await post('/v1/feedback', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('model, health and readiness', () => {
  it('GET /v1/model describes the models', async () => {
    const { app } = setup();
    const res = await app.request('/v1/model');
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ serving: { version: 'v-fake' } });
  });

  it('GET /healthz answers 200 with or without a model', async () => {
    expect((await setup({ provider: fakeProvider(null) }).app.request('/healthz')).status).toBe(200);
    expect(await json(await setup().app.request('/healthz'))).toMatchObject({ status: 'ok' });
  });

  it('GET /readyz is 503 without a model or while draining, 200 otherwise, with detail', async () => {
    const none = await setup({ provider: fakeProvider(null) }).app.request('/readyz');
    expect(none.status).toBe(503);
    expect(await json(none)).toMatchObject({ ready: false, draining: false, serving: null, lastError: null });
    const state = { draining: false, inflight: 0, startedAt: Date.now() };
    const { app } = setup({ state });
    expect((await app.request('/readyz')).status).toBe(200);
    state.draining = true;
    const draining = await app.request('/readyz');
    expect(draining.status).toBe(503);
    expect(await json(draining)).toMatchObject({ ready: false, draining: true });
    expect(draining.headers.get('connection')).toBe('close');
  });
});

describe('POST /admin/reload', () => {
  const token = 'a-very-secret-token-1234';
  it('is disabled without a token', async () => {
    const { post } = setup();
    expect((await post('/admin/reload', {}, { authorization: `Bearer ${token}` })).status).toBe(404);
  });

  it('refuses a missing or wrong bearer token', async () => {
    const { post, provider } = setup({ config: { adminToken: token } });
    const none = await post('/admin/reload', '', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await post('/admin/reload', '', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(provider.syncCalls).toEqual([]);
  });

  it('re-reads the manifest and reports the outcome: 200, or 422 when the champion is refused', async () => {
    const { post, provider } = setup({ config: { adminToken: token } });
    const ok = await post('/admin/reload', '', { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(provider.syncCalls).toEqual([{ trigger: 'admin', force: true }]);
    provider.nextOutcome = {
      result: 'failed',
      revision: 'r',
      version: 'v2',
      reason: 'hash_mismatch',
      message: 'sha256 differs',
    };
    const refused = await post('/admin/reload', '', { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(422);
    expect(await json(refused)).toMatchObject({
      result: 'failed',
      reason: 'hash_mismatch',
      serving: { version: 'v-fake' },
    });
  });
});

describe('routing', () => {
  it('answers 404 for unknown paths and 405 with Allow for a wrong method', async () => {
    const { app, metrics } = setup();
    const missing = await app.request('/v2/predict');
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).message).toBe('no route GET /v2/predict; see /openapi.json');
    const wrong = await app.request('/v1/predict');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(metrics.requests.labels('other', 'GET', '404').value).toBe(1);
  });
});
