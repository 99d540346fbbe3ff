import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../service/app.ts';
import { silentLogger } from '../../service/logger.ts';
import { createServiceMetrics } from '../../service/service-metrics.ts';
import { fakeModel, fakeProvider, testConfig } from '../../testing/service-fakes.ts';
import { replay } from './replay.ts';
import type { ReplayFlight } from './traffic.ts';

let server: Server | null = null;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** The real app (routes, feedback join, metrics) on loopback, with a fake model: score = distance / 10 000. */
async function service(score?: NonNullable<Parameters<typeof fakeModel>[1]>['score']): Promise<string> {
  const app = createApp({
    config: testConfig({ logRequests: false, feedback: { capacity: 10_000, window: 1000 } }),
    models: fakeProvider(fakeModel('v-replay', { threshold: 0.1, score })),
    metrics: createServiceMetrics(),
    logger: silentLogger,
  });
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** n flights; every 3rd is long (flagged by the fake model), every 4th was delayed. */
function flights(n: number): ReplayFlight[] {
  return Array.from({ length: n }, (_, i) => ({
    departure: `2001-06-${String(4 + (i % 7)).padStart(2, '0')}T${String(6 + (i % 15)).padStart(2, '0')}:05`,
    distance: i % 3 === 0 ? 2500 : 400,
    origin: ['ORD', 'ATL', 'LGA'][i % 3],
    destination: ['SFO', 'DFW'][i % 2],
    delayMinutes: i % 4 === 0 ? 45 : 0,
  }));
}

describe('replay', () => {
  it('sends single-row predictions at the rate, then every outcome as feedback joined by request id', async () => {
    const url = await service();
    const progress: number[] = [];
    const summary = await replay({
      url,
      flights: flights(60),
      rate: 300,
      feedbackDelayMs: 50,
      connections: 4,
      onProgress: (p) => progress.push(p.predictionsAnswered + p.feedbackAnswered),
      progressEveryMs: 20,
    });
    expect(summary.predictions).toMatchObject({ requests: 60, rows: 60, ok: 60, errors: 0, statuses: {} });
    expect(summary.predictions.versions).toEqual({ 'v-replay': 60 });
    expect(summary.predictions.flaggedShare).toBeCloseTo(20 / 60, 10);
    expect(summary.delayedShare).toBeCloseTo(15 / 60, 10);
    expect(summary.feedback).toMatchObject({ sent: 60, matched: 60, skipped: 0, errors: 0, statuses: {} });
    // 60 requests at 300/s take ~200 ms to send; the last feedback is due 50 ms after the last prediction.
    expect(summary.elapsedMs).toBeGreaterThan(240);
    expect(progress.at(-1)).toBe(120);
    expect(progress.length).toBeGreaterThan(3);
    // The service's own view agrees: every row predicted and joined to its outcome.
    expect(summary.service).toMatchObject({ predictionsTotal: 60, feedbackMatched: 60, onlineWindowRows: 60 });
    expect(summary.service?.onlineDelayedRate).toBeCloseTo(0.25, 10);
  });

  it('sends batches and reports each row of a batch by its index', async () => {
    const url = await service();
    const summary = await replay({ url, flights: flights(50), rate: 200, batchSize: 8, feedbackDelayMs: 0 });
    expect(summary.predictions).toMatchObject({ requests: 7, rows: 50, ok: 7 });
    expect(summary.feedback).toMatchObject({ sent: 50, matched: 50 });
    expect(summary.service).toMatchObject({ predictionsTotal: 50, feedbackMatched: 50 });
  });

  it('holds feedback due before its prediction was answered until the answer arrives', async () => {
    // Each scoring call takes 40 ms, much longer than the feedback delay of 0.
    const slow = async (inputs: { rows: number }) => {
      await new Promise((r) => setTimeout(r, 40));
      return new Float32Array(inputs.rows).fill(0.5);
    };
    const url = await service(slow);
    const summary = await replay({ url, flights: flights(20), rate: 100, feedbackDelayMs: 0 });
    expect(summary.feedback).toMatchObject({ sent: 20, matched: 20, skipped: 0 });
    expect(summary.predictions.latency.p50Ms).toBeGreaterThan(35);
  });

  it('counts refused predictions by status and sends no feedback for them', async () => {
    const url = await service();
    const batch = flights(10);
    batch[3] = { ...batch[3], distance: 0 };
    batch[7] = { ...batch[7], origin: 'chicago' };
    const summary = await replay({ url, flights: batch, rate: 200, feedbackDelayMs: 10 });
    expect(summary.predictions).toMatchObject({ ok: 8, statuses: { 400: 2 } });
    expect(summary.feedback).toMatchObject({ sent: 8, matched: 8, skipped: 2 });
  });

  it('sends no feedback when asked not to, and reports errors when nobody listens', async () => {
    const url = await service();
    const quiet = await replay({ url, flights: flights(5), rate: 100, feedbackDelayMs: null });
    expect(quiet.feedback.sent).toBe(0);
    expect(quiet.service?.feedbackMatched).toBe(0);
    await expect(replay({ url: 'http://127.0.0.1:1', flights: flights(1), rate: 1 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(replay({ url: 'https://127.0.0.1:1', flights: flights(1), rate: 1 })).rejects.toThrow(/plain HTTP/);
  });
});
