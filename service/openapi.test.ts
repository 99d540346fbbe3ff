import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { silentLogger } from './logger.ts';
import { createServiceMetrics } from './service-metrics.ts';
import { FLIGHT, fakeProvider, json, testConfig } from '../testing/service-fakes.ts';
import { LIMITS } from './validation.ts';

const config = testConfig({ maxBatchSize: 100, adminToken: 'x'.repeat(20) });
const app = createApp({ config, models: fakeProvider(), metrics: createServiceMetrics(), logger: silentLogger });

async function document() {
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  return json(res);
}

describe('GET /openapi.json', () => {
  it("is OpenAPI 3.1 and documents every route the app serves (but the dashboard's script and style files)", async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    const served = app.routes
      .filter((r) => r.path !== '*' && r.method !== 'ALL' && !/\.(js|css)$/.test(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path}`);
    expect(served.length).toBeGreaterThanOrEqual(8);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(new Set(documented)).toEqual(new Set(served));
  });

  it('states the same limits the validators enforce', async () => {
    const { components } = await document();
    const flight = components.schemas.Flight;
    expect(flight.required).toEqual(['departure', 'distance', 'origin', 'destination']);
    expect(flight.properties.distance).toMatchObject({ minimum: LIMITS.distanceMin, maximum: LIMITS.distanceMax });
    expect(components.schemas.FlightBatch.properties.flights.maxItems).toBe(100);
    expect(components.schemas.Feedback.properties.delayMinutes).toMatchObject({
      minimum: LIMITS.delayMinutesMin,
      maximum: LIMITS.delayMinutesMax,
    });
    // The documented patterns accept what the service accepts and reject what it rejects.
    const airport = new RegExp(flight.properties.origin.pattern);
    const departure = new RegExp(flight.properties.departure.pattern);
    expect([airport.test('ORD'), airport.test('ord'), airport.test('ORDX')]).toEqual([true, false, false]);
    expect([
      departure.test('2001-05-04T17:35'),
      departure.test('2001-05-04T17:35:00'),
      departure.test('2001-05-04 17:35'),
    ]).toEqual([true, true, false]);
  });

  it('has examples the service accepts', async () => {
    const doc = await document();
    const examples = doc.paths['/v1/predict'].post.requestBody.content['application/json'].examples;
    for (const { value } of Object.values(examples) as { value: unknown }[]) {
      const res = await app.request('/v1/predict', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(value),
      });
      expect(res.status).toBe(200);
    }
    expect(examples.single.value).toEqual(FLIGHT);
  });
});
