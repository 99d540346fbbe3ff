import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inThreadStore, openPredictionStore } from './prediction-store.ts';
import { byFlight, flight, predictionStoreContract, record } from './prediction-store.case.test.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = () => path.join(dir, `s${files++}.sqlite`);

predictionStoreContract('in this thread, in memory', (limits, events, nowMs) =>
  inThreadStore(':memory:', limits, { events, nowMs }),
);
predictionStoreContract('in this thread, in a file', (limits, events, nowMs) =>
  inThreadStore(file(), limits, { events, nowMs }),
);
predictionStoreContract('on a worker thread, in a file', (limits, events, nowMs) =>
  openPredictionStore(file(), limits, { events, nowMs }),
);

describe('a prediction store in a file', () => {
  it('survives a restart, and is shared by two processes’ stores (a claim counts once)', async () => {
    const file = path.join(dir, 'shared.sqlite');
    const limits = { maxRows: 1000, maxAgeMs: 3_600_000 };
    const first = openPredictionStore(file, limits);
    record(first, 'before-restart', [flight(1), flight(2)], [0.1, 0.2]);
    await first.close();
    const again = openPredictionStore(file, limits);
    const other = openPredictionStore(file, limits);
    try {
      expect(await again.claim({ kind: 'request', requestId: 'before-restart', index: 1 })).toMatchObject({
        found: true,
        duplicate: false,
      });
      record(again, 'on-a', [flight(30)], [0.5]);
      await again.flush();
      expect(await other.claim(byFlight(flight(30)))).toMatchObject({ found: true, duplicate: false });
      expect(await again.claim(byFlight(flight(30)))).toMatchObject({ found: true, duplicate: true });
    } finally {
      await again.close();
      await other.close();
    }
  });
});
