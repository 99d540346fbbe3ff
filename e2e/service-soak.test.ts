/**
 * Hot-swap soak: a real server under steady load while the manifest flips between two versions ten
 * times (deploy hook and polling both active), then points at a corrupt artifact. Every request
 * must succeed, each answer must come from the model version it names, and the service must end on
 * the last good version. SOAK_SECONDS (default 6, at most 30) sets the length.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toModelInputs } from '../lib/features/flight-features.ts';
import { loadOnnxScorer } from '../lib/onnx/runtime.ts';
import { corruptArtifact, createFixtureRepo, entryOf, type FixtureRepo } from '../testing/service-fixtures.ts';
import { json } from '../testing/service-fakes.ts';
import { startServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { errorMessage } from '../lib/util/errors.ts';

const SECONDS = Math.min(30, Math.max(3, Number(process.env.SOAK_SECONDS ?? 6)));
const TOKEN = 'soak-test-admin-token-0123456789';

let repo: FixtureRepo;
let server: ServerProcess | null = null;

beforeAll(async () => {
  repo = await createFixtureRepo();
}, 180_000);

afterAll(async () => {
  await server?.stop(2_000);
  await repo?.cleanup();
});

const flight = { departure: '2001-04-03T18:05', distance: 1846, origin: 'ATL', destination: 'LAX' };

describe(`hot-swap soak (${SECONDS} s)`, () => {
  it(
    '10 swaps and a corrupt artifact under load: zero non-2xx, ends on the last good version',
    async () => {
      const expected = new Map<string, number>();
      for (const m of [repo.models.a, repo.models.b]) {
        const scorer = await loadOnnxScorer(m.bytes);
        expected.set(m.version, (await scorer.score(toModelInputs([flight])))[0]);
        await scorer.release();
      }
      server = await startServerProcess({
        env: { MODEL_REPO_ROOT: repo.dir, ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '150', LOG_REQUESTS: 'false' },
      });
      await server.ready();
      const url = server.url;

      let stop = false;
      const problems: string[] = [];
      const answeredBy = new Map<string, number>();
      let requests = 0;
      const single = JSON.stringify(flight);
      const batch = JSON.stringify({ flights: Array.from({ length: 32 }, () => flight) });
      const client = async (id: number) => {
        for (let i = 0; !stop; i++) {
          const isBatch = (i + id) % 10 === 0;
          try {
            const res = await fetch(`${url}/v1/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: isBatch ? batch : single,
            });
            const body = await json(res);
            requests++;
            if (res.status !== 200) {
              problems.push(`${res.status}: ${JSON.stringify(body)}`);
              continue;
            }
            const probabilities: number[] = isBatch
              ? body.predictions.map((p: { probability: number }) => p.probability)
              : [body.probability];
            if (probabilities.some((p) => p !== expected.get(body.model)))
              problems.push(`${body.model} answered ${probabilities[0]}, expected ${expected.get(body.model)}`);
            answeredBy.set(body.model, (answeredBy.get(body.model) ?? 0) + 1);
          } catch (error) {
            problems.push(`request failed: ${errorMessage(error)}`);
          }
        }
      };
      const clients = Array.from({ length: 8 }, (_, i) => client(i));

      const reload = async () => {
        const res = await fetch(`${url}/admin/reload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return { status: res.status, body: await json(res) };
      };
      const pause = (SECONDS * 1000) / 12;
      let lastGood = repo.models.a.version;
      for (let swap = 0; swap < 10; swap++) {
        await new Promise((r) => setTimeout(r, pause));
        const next = swap % 2 === 0 ? repo.models.b : repo.models.a;
        await repo.promote(entryOf(next));
        const { status, body } = await reload();
        expect(status).toBe(200);
        // The poller may have loaded the commit first; either way it is now serving.
        expect(body.serving.version).toBe(next.version);
        lastGood = next.version;
      }
      await new Promise((r) => setTimeout(r, pause));
      const corrupt = await repo.addVersion(
        '2001-04-15-c0440b7d',
        corruptArtifact(repo.models.b.bytes),
        repo.models.b.card,
      );
      await repo.promote(corrupt);
      const refused = await reload();
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ result: 'failed', reason: 'corrupt_onnx', serving: { version: lastGood } });
      await new Promise((r) => setTimeout(r, pause));
      stop = true;
      await Promise.all(clients);

      expect(problems.slice(0, 5)).toEqual([]);
      expect(requests).toBeGreaterThan(SECONDS * 100);
      expect(answeredBy.get(repo.models.a.version)).toBeGreaterThan(0);
      expect(answeredBy.get(repo.models.b.version)).toBeGreaterThan(0);

      const model = await json(await fetch(`${url}/v1/model`));
      expect(model).toMatchObject({
        serving: { version: lastGood },
        champion: { version: corrupt.version },
        inSync: false,
      });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await json(ready)).toMatchObject({
        ready: true,
        lastError: { reason: 'corrupt_onnx', version: corrupt.version },
      });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('model_load_total{result="success",reason="ok",role="champion"} 11');
      expect(metrics).toMatch(/model_load_total\{result="failure",reason="corrupt_onnx",role="champion"\} [1-9]/);
      expect(metrics).toContain(`model_info{version="${lastGood}",`);
      expect(metrics).toContain('model_manifest_in_sync 0');
      // Old sessions were released as their last requests finished (log lines arrive asynchronously).
      const released = () => server!.logs.filter((l) => l.event === 'model_released').length;
      for (let i = 0; i < 40 && released() < 10; i++) await new Promise((r) => setTimeout(r, 50));
      expect(released()).toBe(10);
    },
    (SECONDS + 90) * 1000,
  );
});
