import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpPost, pacedLoad, runSchedule } from './paced-load.ts';

let server: http.Server | null = null;

afterEach(async () => {
  const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
  await closed;
  server = null;
});

/** A loopback server that answers at once, except during one stall, and fails every 50th request. */
async function stallingServer(stallFromMs: number, stallMs: number): Promise<{ port: number; received: () => number }> {
  let received = 0;
  const started = performance.now();
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      const status = received % 50 === 0 ? 500 : 200;
      const answer = () =>
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': '2' }).end('{}');
      const now = performance.now() - started;
      if (now >= stallFromMs && now < stallFromMs + stallMs) setTimeout(answer, stallFromMs + stallMs - now);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server!.address() as AddressInfo).port, received: () => received };
}

describe('pacedLoad', () => {
  it('keeps the rate open-loop: a server stall shows up as latency of every request due during it, warm-up excluded', async () => {
    // 500 req/s; 200 ms warm-up, then 1 s measured; the server stalls 100 ms in the measured part.
    const { port, received } = await stallingServer(600, 100);
    /** What the server had received when the loader said measuring starts. */
    const atMeasuring: number[] = [];
    const result = await pacedLoad({
      host: '127.0.0.1',
      port,
      path: '/',
      bodies: ['{"a":1}', '{"b":2}'],
      rate: 500,
      warmupMs: 200,
      durationMs: 1000,
      connections: 8,
      onMeasuring: () => atMeasuring.push(received()),
    });

    // Only the measured second counts: ~500 requests, though ~600 reached the server.
    expect(result.sent).toBeGreaterThan(470);
    expect(result.sent).toBeLessThan(530);
    expect(received()).toBeGreaterThan(result.sent + 70);
    // Called once, as the first measured request goes out: the ~100 warm-up requests at most had arrived.
    expect(atMeasuring).toHaveLength(1);
    expect(atMeasuring[0]).toBeGreaterThan(50);
    expect(atMeasuring[0]).toBeLessThanOrEqual(100);
    expect(result.completed).toBe(result.sent);
    expect(result.errors).toBe(0);
    // Every 50th response is a 500 (counting only measured ones).
    expect(result.non2xx).toBeGreaterThan(5);
    expect(result.non2xx).toBeLessThan(15);
    // ~50 requests fall due during the stall; with 8 connections most of them wait for a socket,
    // and that wait is latency too (no coordinated omission), so well over 1% are slow.
    expect(result.p50Ms).toBeLessThan(20);
    expect(result.p99Ms).toBeGreaterThan(30);
    expect(result.maxMs).toBeGreaterThan(60);
    expect(result.achievedRate).toBeGreaterThan(400);
  });
});

describe('runSchedule', () => {
  it('issues requests at their due times with the bodies built then, hands back response bodies, skips nulls', async () => {
    const seen: string[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen.push(`${req.url} ${body}`);
        const answer = JSON.stringify({ echo: body });
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-length': Buffer.byteLength(answer) }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const bodies: string[] = [];
    const started = performance.now();
    const issuedAt: number[] = [];
    const result = await runSchedule({
      host: '127.0.0.1',
      port,
      connections: 2,
      count: 6,
      // Two due at once, then 150 ms later the rest.
      dueMs: (i) => (i < 2 ? 0 : 150),
      request: (i) => {
        issuedAt[i] = performance.now() - started;
        if (i === 3) return null;
        return httpPost('127.0.0.1', port, i === 5 ? '/missing' : '/x', `{"i":${i}}`);
      },
      onResponse: (i, _status, body) => (bodies[i] = body.toString()),
    });
    expect(result.issued).toBe(5);
    expect(result.skipped).toBe(1);
    expect(result.failures).toBe(0);
    expect([...result.status]).toEqual([200, 200, 200, 0, 200, 404]);
    expect(bodies[4]).toBe(JSON.stringify({ echo: '{"i":4}' }));
    expect(seen).toHaveLength(5);
    expect(issuedAt[2]).toBeGreaterThanOrEqual(149);
    expect(Number.isNaN(result.latencyMs[3])).toBe(true);
    expect(result.lagMs[4]).toBeLessThan(50);
  });

  it('reopens connections the server closes and fails only the requests that got no answer', async () => {
    let received = 0;
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        // Every 5th request: the connection is cut without an answer; every 7th: answered with close.
        if (received % 5 === 0) return req.socket.destroy();
        const headers: Record<string, string> = { 'content-length': '2' };
        if (received % 7 === 0) headers.connection = 'close';
        res.writeHead(200, headers).end('{}');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const failed: number[] = [];
    const result = await runSchedule({
      host: '127.0.0.1',
      port,
      connections: 1,
      count: 40,
      dueMs: (i) => i * 5,
      request: () => httpPost('127.0.0.1', port, '/', '{}'),
      onFailure: (i) => failed.push(i),
    });
    expect(result.issued).toBe(40);
    expect(result.failures).toBe(failed.length);
    expect(failed.length).toBeGreaterThanOrEqual(6);
    expect(failed.length).toBeLessThanOrEqual(9);
    expect([...result.status].filter((s) => s === 200)).toHaveLength(40 - failed.length);
  });
});
