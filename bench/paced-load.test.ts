import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad } from './paced-load.ts';

let server: http.Server | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
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
    const result = await pacedLoad({
      host: '127.0.0.1',
      port,
      path: '/',
      bodies: ['{"a":1}', '{"b":2}'],
      rate: 500,
      warmupMs: 200,
      durationMs: 1000,
      connections: 8,
    });

    // Only the measured second counts: ~500 requests, though ~600 reached the server.
    expect(result.sent).toBeGreaterThan(470);
    expect(result.sent).toBeLessThan(530);
    expect(received()).toBeGreaterThan(result.sent + 70);
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
