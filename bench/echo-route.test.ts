import { describe, expect, it } from 'vitest';
import { createApp } from '../service/app.ts';
import { silentLogger } from '../service/logger.ts';
import { createServiceMetrics } from '../service/service-metrics.ts';
import { FLIGHT, fakeProvider, json, testConfig } from '../testing/service-fakes.ts';
import { ECHO_PATH, echoRoutes } from './echo-route.ts';

function post(app: ReturnType<typeof createApp>, path: string, body: unknown) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the bench echo route', () => {
  const deps = { config: testConfig(), models: fakeProvider(), metrics: createServiceMetrics(), logger: silentLogger };

  it('exists only where the bench mounts it', async () => {
    expect((await post(createApp(deps), ECHO_PATH, FLIGHT)).status).toBe(404);
    expect((await post(createApp({ ...deps, routes: [echoRoutes] }), ECHO_PATH, FLIGHT)).status).toBe(200);
  });

  it('answers about as many bytes as a real single-row prediction, so the ceiling is not cheaper to send', async () => {
    const app = createApp({ ...deps, routes: [echoRoutes] });
    const echoed = await (await post(app, ECHO_PATH, FLIGHT)).text();
    const predicted = await json(await post(app, '/v1/predict', { ...FLIGHT, distance: 1530 }));
    const real = JSON.stringify({
      ...predicted,
      requestId: crypto.randomUUID(),
      model: '2001-05-01-1a2b3c4d',
      threshold: 0.2232142835855484,
    });
    expect(Math.abs(echoed.length - real.length)).toBeLessThan(8);
  });

  it('goes through the same guards as a prediction: JSON content type, and the in-flight limit', async () => {
    const app = createApp({ ...deps, config: testConfig({ maxInflight: 0 }), routes: [echoRoutes] });
    expect((await post(app, ECHO_PATH, FLIGHT)).status).toBe(429);
    expect((await post(app, '/v1/predict', FLIGHT)).status).toBe(429);
    const plain = await createApp({ ...deps, routes: [echoRoutes] }).request(ECHO_PATH, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(plain.status).toBe(415);
  });
});
