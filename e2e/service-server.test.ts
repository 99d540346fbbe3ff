/**
 * The real server process: serves the champion of a git repository with no other setup, and on
 * SIGTERM turns readiness off, finishes the request in flight, and exits 0.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../service/testing/fixtures.ts';
import { json } from '../service/testing/fakes.ts';
import { startServerProcess, type ServerProcess } from '../service/testing/server-process.ts';

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
    const res = await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flight) });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.model).toBe(repo.models.a.version);
    expect(res.headers.get('x-request-id')).toBe(body.requestId);
    expect(body.probability).toBeGreaterThan(0);
    expect(body.probability).toBeLessThan(1);

    const model = await json(await fetch(`${server.url}/v1/model`));
    expect(model).toMatchObject({ inSync: true, serving: { version: repo.models.a.version }, champion: { version: repo.models.a.version } });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`model_info{version="${repo.models.a.version}",sha256="${repo.models.a.sha256}"} 1`);
    expect(metrics).toContain('process_resident_memory_bytes');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(check.error, 'promtool is missing: run scripts/setup-test-deps.sh').toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');

    const requestLine = server.logs.find((l) => l.event === 'request' && l.route === '/v1/predict');
    expect(requestLine).toMatchObject({ level: 'info', requestId: body.requestId, method: 'POST', status: 200 });
    expect(typeof requestLine?.ms).toBe('number');
    expect(server.logs.find((l) => l.event === 'model_loaded')).toMatchObject({ version: repo.models.a.version, trigger: 'startup' });
  });

  it('on SIGTERM: readiness off, the in-flight request completes, then exit 0 and no more connections', async () => {
    const server = await start({ DRAIN_DELAY_MS: '400' });
    const payload = JSON.stringify(flight);
    // A request whose body is still arriving when the signal lands.
    const inflight = new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const req = http.request(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write(payload.slice(0, 20));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(payload.slice(20)), 250);
      }, 100);
    });

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

  it('refuses to start with a bad setting and names the variable', () => {
    const result = spawnSync(process.execPath, ['service/server.ts'], { env: { ...process.env, PORT: 'eighty' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT must be an integer from 0 to 65535, got "eighty"');
  });
});
