/**
 * The real server process: serves the champion of a git repository with no other setup, and on
 * SIGTERM turns readiness off, finishes the request in flight, and exits 0.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../testing/service-fixtures.ts';
import { json } from '../testing/service-fakes.ts';
import { startServerProcess, type ServerProcess } from '../testing/server-process.ts';

let repo: FixtureRepo;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  repo = await createFixtureRepo();
}, 180_000);

afterAll(async () => {
  for (const s of servers) await s.stop(2_000);
  await repo?.cleanup();
});

async function start(env: Record<string, string> = {}) {
  const server = await startServerProcess({ env: { MODEL_REPO_ROOT: repo.dir, ...env } });
  servers.push(server);
  await server.ready();
  return server;
}

const flight = { departure: '2001-04-02T08:15', distance: 733, origin: 'ORD', destination: 'LGA' };

describe('service/server.ts as a process', () => {
  it('serves the committed champion: predict, model, metrics', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(flight),
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.model).toBe(repo.models.a.version);
    expect(res.headers.get('x-request-id')).toBe(body.requestId);
    expect(body.probability).toBeGreaterThan(0);
    expect(body.probability).toBeLessThan(1);

    const model = await json(await fetch(`${server.url}/v1/model`));
    expect(model).toMatchObject({
      inSync: true,
      serving: { version: repo.models.a.version },
      champion: { version: repo.models.a.version },
    });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`model_info{version="${repo.models.a.version}",sha256="${repo.models.a.sha256}"} 1`);
    expect(metrics).toContain('process_resident_memory_bytes');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(check.error, 'promtool is missing: run `npm run setup`').toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');

    const requestLine = await server.waitForLog((l) => l.event === 'request' && l.route === '/v1/predict');
    expect(requestLine).toMatchObject({ level: 'info', requestId: body.requestId, method: 'POST', status: 200 });
    expect(typeof requestLine?.ms).toBe('number');
    expect(await server.waitForLog((l) => l.event === 'model_loaded')).toMatchObject({
      version: repo.models.a.version,
      trigger: 'startup',
    });
  });

  it('on SIGTERM: readiness off, the in-flight request completes, then exit 0 and no more connections', async () => {
    const server = await start({ DRAIN_DELAY_MS: '400' });
    const payload = JSON.stringify(flight);
    // A request whose body is still arriving when the signal lands.
    const inflight = new Promise<{ status: number; body: string; connection: string | undefined }>(
      (resolve, reject) => {
        const req = http.request(
          `${server.url}/v1/predict`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
          },
        );
        req.on('error', reject);
        req.write(payload.slice(0, 20));
        setTimeout(() => {
          server.child.kill('SIGTERM');
          setTimeout(() => req.end(payload.slice(20)), 250);
        }, 100);
      },
    );

    // Within the drain delay, a new connection still reaches the service and sees it draining.
    await new Promise((r) => setTimeout(r, 200));
    const readiness = await fetch(`${server.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await json(readiness)).toMatchObject({ ready: false, draining: true });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const answered = await inflight;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body).model).toBe(repo.models.a.version);
    expect(answered.connection).toBe('close');

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs.find((l) => l.event === 'draining')).toMatchObject({ reason: 'SIGTERM' });
    expect(server.logs.find((l) => l.event === 'stopped')).toMatchObject({ drained: true, abandoned: 0 });
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('stays up under malformed HTTP: random bodies, broken JSON, lying and oversized lengths, raw garbage', async () => {
    const server = await start({ MAX_BODY_BYTES: '4096', LOG_REQUESTS: 'false' });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ flights: [v, flight] })),
          fc.constant(JSON.stringify(flight)),
        ),
        fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/json; charset=latin1'),
        async (body, type) => {
          const res = await fetch(`${server.url}/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': type },
            body,
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeLessThan(500);
          await res.arrayBuffer();
        },
      ),
      { numRuns: 400 },
    );
    const raw = (payload: string) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(server.port, '127.0.0.1', () => socket.end(payload));
        let answer = '';
        socket.on('data', (d) => (answer += d.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve(answer));
        socket.setTimeout(3000, () => socket.destroy());
      });
    const big = 'x'.repeat(10_000);
    const answers = await Promise.all([
      raw('\x00\x01\x02 not http at all\r\n\r\n'),
      raw(
        `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{}`,
      ),
      raw(
        `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2710\r\n${big}\r\n0\r\n\r\n`,
      ),
      raw(
        `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"departure":`,
      ),
      raw('GET /healthz HTTP/1.1\r\nHost: x\r\n' + 'X-Junk: y\r\n'.repeat(5000) + '\r\n'),
    ]);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 400/);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 413/);
    expect(answers[2]).toMatch(/^HTTP\/1\.1 413/);
    expect(answers[4]).toMatch(/^HTTP\/1\.1 431/);
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ok = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(flight),
    });
    expect(ok.status).toBe(200);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  });

  it('keeps a keep-alive connection usable after responses that left the request body unread', async () => {
    const server = await start({ MAX_BODY_BYTES: '4096', LOG_REQUESTS: 'false' });
    const body = JSON.stringify(flight);
    const big = JSON.stringify({ pad: 'x'.repeat(6000) });
    const request = (type: string, payload: string) =>
      `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
    // One connection, three requests in a row: wrong content type (body never read), a body over
    // the limit (refused from Content-Length), then a good one that must still be answered.
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () =>
        socket.write(
          request('text/plain', body) + request('application/json', big) + request('application/json', body),
        ),
      );
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
        if ((text.match(/HTTP\/1\.1 \d{3} /g) ?? []).length === 3 && text.endsWith('}')) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      socket.setTimeout(5000, () => socket.destroy());
    });
    // Responses follow each other directly (bodies end without a newline).
    expect([...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))).toEqual([415, 413, 200]);
    expect(answer).toMatch(/"probability":/);
  });

  it('refuses to start with a bad setting and names the variable', () => {
    const result = spawnSync(process.execPath, ['service/server.ts'], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT must be an integer from 0 to 65535, got "eighty"');
  });
});
