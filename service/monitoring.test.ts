import { describe, expect, it } from 'vitest';
import { aucFromBuckets, budgetFromBuckets } from '../lib/metrics/bucketed.ts';
import { psiFromCounts } from '../lib/metrics/drift.ts';
import { createApp } from './app.ts';
import { silentLogger } from './logger.ts';
import { createServiceMetrics } from './service-metrics.ts';
import { FAKE_CARD, FLIGHT, fakeProvider, json, testConfig } from '../testing/service-fakes.ts';

function setup(monitoring = true) {
  const metrics = createServiceMetrics();
  const app = createApp({ config: testConfig({ monitoring }), models: fakeProvider(), metrics, logger: silentLogger });
  const post = async (path: string, body: unknown) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const counts = (feature: string, bins: number) =>
    Array.from({ length: bins }, (_, b) => metrics.driftBins.labels('v-fake', feature, String(b)).value);
  return { app, metrics, post, counts };
}

// The fake model scores distance / 10 000 with threshold 0.1: flights of 1000+ miles are flagged.
const flights = [
  { ...FLIGHT, departure: '2001-05-04T05:10', distance: 300, origin: 'ORD' },
  { ...FLIGHT, departure: '2001-05-04T11:59', distance: 700, origin: 'ATL' },
  { ...FLIGHT, departure: '2001-05-04T12:00', distance: 1500, origin: 'SFO' },
  { ...FLIGHT, departure: '2001-05-04T23:30', distance: 2500, origin: 'ORD' },
];

describe('drift counters', () => {
  it("count scored rows per bin of the card's reference histograms, with the reference shares beside them", async () => {
    const { post, counts, metrics } = setup();
    await post('/v1/predict', { flights });
    await post('/v1/predict', flights[0]);
    // hour edges 6, 12, 18, 24 (hour is fractional: 11:59 → 11.98, 12:00 → 12 ≤ 12)
    expect(counts('hour', 4)).toEqual([2, 2, 0, 1]);
    expect(counts('distance', 4)).toEqual([2, 1, 1, 1]);
    expect(counts('origin', 3)).toEqual([3, 1, 1]);
    expect(metrics.driftReference.labels('v-fake', 'origin', '2').value).toBe(0.5);
    // Lookup features live in the graph: not counted, no series.
    expect(metrics.registry.render()).not.toContain('feature="route_delay_rate"');
    // PSI of these counts, as the monitor computes it from the scrape.
    expect(psiFromCounts(FAKE_CARD.reference[1].shares, counts('distance', 4))).toBeGreaterThan(0);
  });

  it('are off with MONITORING=off, and predictions are then not kept for feedback', async () => {
    const { post, counts } = setup(false);
    const { requestId } = await json(await post('/v1/predict', FLIGHT));
    expect(counts('distance', 4)).toEqual([0, 0, 0, 0]);
    expect((await post('/v1/feedback', { requestId, delayMinutes: 30 })).status).toBe(404);
  });
});

describe('quality counters', () => {
  it('count confusion-matrix cells and outcome-split score histograms by version and slice', async () => {
    const { post, metrics } = setup();
    const { requestId } = await json(await post('/v1/predict', { flights }));
    const delays = [30, 0, 45, 0];
    for (let i = 0; i < flights.length; i++)
      expect((await post('/v1/feedback', { requestId, index: i, delayMinutes: delays[i] })).status).toBe(200);
    const cell = (slice: string, flagged: string, delayed: string) =>
      metrics.feedbackOutcomes.labels('v-fake', slice, flagged, delayed).value;
    // all: row 0 delayed not flagged, row 1 neither, row 2 both, row 3 flagged not delayed
    expect([cell('all', 'true', 'true'), cell('all', 'false', 'true')]).toEqual([1, 1]);
    expect([cell('all', 'true', 'false'), cell('all', 'false', 'false')]).toEqual([1, 1]);
    // ORD is a hub in the card's slices; ATL and SFO are not.
    expect(cell('origin=ORD', 'false', 'true') + cell('origin=ORD', 'true', 'false')).toBe(2);
    expect(metrics.registry.render()).not.toContain('slice="origin=ATL"');
    expect(cell('hour=12-17', 'true', 'true')).toBe(1);
    expect(cell('distance=2000+', 'true', 'false')).toBe(1);
    // Histograms → recall at the budget and AUC with lib/metrics/bucketed.ts.
    const delayed = metrics.feedbackScore.labels('v-fake', 'all', 'true');
    const onTime = metrics.feedbackScore.labels('v-fake', 'all', 'false');
    expect([delayed.count, onTime.count]).toEqual([2, 2]);
    const buckets = { positives: delayed.counts, negatives: onTime.counts };
    // Scores 0.03 (delayed), 0.07, 0.15 (delayed), 0.25: 1 of 4 pairs ordered right, in different buckets.
    expect(aucFromBuckets(buckets)).toBe(0.25);
    expect(budgetFromBuckets(buckets, 0.25)).toEqual({ recall: 0, precision: 0 });
  });
});
