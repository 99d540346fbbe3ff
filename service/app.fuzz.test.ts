/**
 * Property-based: thousands of malformed (and some valid) bodies thrown at the app. Whatever the
 * input, the answer is never a 5xx, a 4xx always names a field or the problem, and a 200 has a
 * probability for every flight.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { silentLogger } from './logger.ts';
import { createServiceMetrics } from './service-metrics.ts';
import { FLIGHT, fakeProvider, json, testConfig } from '../testing/service-fakes.ts';

const config = testConfig({ maxBatchSize: 16, maxBodyBytes: 8 * 1024 });
const provider = fakeProvider();
const app = createApp({ config, models: provider, metrics: createServiceMetrics(), logger: silentLogger });

const weird = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    'NaN',
    'Infinity',
    '-Infinity',
    '',
    ' ',
    '1e309',
    '0x10',
    '733',
    null,
    true,
    [],
    {},
    -0,
    1e-300,
    Number.MAX_VALUE,
    '2001-05-04T17:35',
    'ORD',
    '\u0000',
    '__proto__',
  ),
  fc.double(),
  fc.integer(),
  fc.string(),
);
const field = fc.constantFrom('departure', 'distance', 'origin', 'destination');
/** A valid flight with one field replaced, removed, or an extra field added. */
const mutatedFlight = fc.tuple(field, weird, fc.constantFrom('replace', 'delete', 'extra')).map(([key, value, how]) => {
  const flight: Record<string, unknown> = { ...FLIGHT };
  if (how === 'replace') flight[key] = value;
  else if (how === 'delete') delete flight[key];
  else flight[`x_${key}`] = value;
  return flight;
});
const validFlight = fc.record({
  departure: fc
    .date({ min: new Date('1971-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 16)),
  distance: fc.double({ min: 1, max: 10_000, noNaN: true }),
  origin: fc.stringMatching(/^[A-Z]{3}$/),
  destination: fc.stringMatching(/^[A-Z]{3}$/),
});
const body = fc.oneof(
  mutatedFlight,
  validFlight,
  fc.record({ flights: fc.array(fc.oneof(mutatedFlight, validFlight, weird), { maxLength: 20 }) }),
  fc.record({ flights: weird }),
  weird,
);
const rawText = fc.oneof(
  body.map((b) => JSON.stringify(b) ?? 'undefined'),
  fc.string(),
  fc.string({ unit: 'binary' }),
  body.map((b) => (JSON.stringify(b) ?? '').slice(0, -1)),
);

async function send(path: string, text: string, contentType: string | null) {
  const headers: Record<string, string> = contentType === null ? {} : { 'content-type': contentType };
  return app.request(path, { method: 'POST', headers, body: text });
}

function checkAnswer(status: number, payload: { error?: { message?: string } }) {
  expect(status).toBeLessThan(500);
  if (status >= 400) {
    expect(typeof payload.error?.message).toBe('string');
    expect(payload.error!.message!.length).toBeGreaterThan(5);
  }
}

describe('the app under malformed input', () => {
  it('never answers 5xx to any /v1/predict body', async () => {
    await fc.assert(
      fc.asyncProperty(
        rawText,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', null),
        async (text, type) => {
          const res = await send('/v1/predict', text, type);
          const payload = await json(res);
          checkAnswer(res.status, payload);
          if (res.status === 200) {
            const parsed = JSON.parse(text);
            const rows = Array.isArray(parsed.flights) ? parsed.flights.length : 1;
            const probabilities = payload.predictions
              ? payload.predictions.map((p: { probability: number }) => p.probability)
              : [payload.probability];
            expect(probabilities).toHaveLength(rows);
            for (const p of probabilities) expect(p).toBeGreaterThanOrEqual(0);
          }
          if (res.status === 400 && payload.error.issues) {
            for (const issue of payload.error.issues) expect(issue.message.startsWith(issue.field)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
    expect(provider.model!.holds).toBe(0);
  });

  it('never answers 5xx to any /v1/feedback body', async () => {
    const feedback = fc.oneof(
      fc.record(
        { requestId: weird, delayMinutes: weird, index: fc.option(weird, { nil: undefined }) },
        { requiredKeys: [] },
      ),
      fc.record({ flight: fc.oneof(mutatedFlight, weird), delayMinutes: weird }, { requiredKeys: [] }),
      weird,
    );
    await fc.assert(
      fc.asyncProperty(feedback, async (b) => {
        const res = await send('/v1/feedback', JSON.stringify(b) ?? '', 'application/json');
        checkAnswer(res.status, await json(res));
      }),
      { numRuns: 1500 },
    );
  });

  it('still serves after the storm', async () => {
    const res = await send('/v1/predict', JSON.stringify(FLIGHT), 'application/json');
    expect(res.status).toBe(200);
  });
});
