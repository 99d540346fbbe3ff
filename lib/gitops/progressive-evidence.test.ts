import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../../service/service-metrics.ts';
import { collectLiveEvidence, evidenceMarkdown, liveEvidence, STEP_POLICY, stepBars } from './progressive-evidence.ts';

/** One replica's /metrics after `rows` single-row requests, as the service renders it. */
function replica(options: {
  rows: number;
  disagree: number;
  canaryRows?: number;
  feedback?: boolean;
  unsampled?: number;
}): string {
  const m = createServiceMetrics();
  m.shadowUnsampled.inc(options.unsampled ?? 0);
  for (let i = 0; i < options.rows; i++) {
    m.predictions.labels('champ').inc();
    m.modelInference.labels('champ', 'served').observe(0.0002);
    m.shadowPredictions.labels('chal').inc();
    m.modelInference.labels('chal', 'shadow').observe(0.00025);
    m.shadowDifference.labels('chal').observe(i % 10 === 0 ? 0.15 : 0.004);
  }
  m.shadowDisagreements.labels('chal').inc(options.disagree);
  for (let i = 0; i < (options.canaryRows ?? 0); i++) {
    m.predictions.labels('chal').inc();
    m.modelInference.labels('chal', 'served').observe(0.0002);
  }
  if (options.feedback) {
    // The challenger ranks perfectly (delayed flights score 0.8), the champion at random (0.3 for all).
    for (let i = 0; i < 300; i++) {
      const delayed = i % 4 === 0;
      m.feedbackScore.labels('chal', 'all', String(delayed)).observe(delayed ? 0.8 : 0.1);
      m.feedbackScore.labels('champ', 'all', String(delayed)).observe(0.3);
    }
  }
  return m.registry.render();
}

const versions = { champion: 'champ', challenger: 'chal' };
const meta = {
  sources: ['http://127.0.0.1:1/metrics', 'http://127.0.0.1:2/metrics'],
  scrapedAt: '2001-05-08T10:00:00Z',
};

describe('live evidence from /metrics', () => {
  it('sums counters and histograms over replicas: agreement, |Δ|, latency per row', () => {
    const e = liveEvidence(
      [replica({ rows: 400, disagree: 20, unsampled: 1200 }), replica({ rows: 200, disagree: 10, unsampled: 600 })],
      versions,
      meta,
    );
    expect(e.shadow).toMatchObject({ rows: 600, skipped: 0, unsampled: 1800 });
    // The pull request's comment says how many rows sampling left out, beside those the queue skipped.
    const md = evidenceMarkdown({ step: 'canary', evidence: e, bars: stepBars('canary', e) });
    expect(md).toContain('rows not sampled (`SHADOW_SAMPLE_PERCENT`) |');
    expect(md).toMatch(/^\| 600 \| 0\.950 \| .* \| 0 \| 1800 \|$/m);
    expect(e.shadow!.agreement).toBeCloseTo(0.95, 10);
    expect(e.shadow!.meanAbsDifference).toBeCloseTo(0.1 * 0.15 + 0.9 * 0.004, 6);
    // 10% of rows at 0.15 puts the 95th percentile inside the (0.1, 0.2] bucket.
    expect(e.shadow!.p95AbsDifference).toBeGreaterThan(0.1);
    expect(e.shadow!.p95AbsDifference).toBeLessThanOrEqual(0.2);
    expect(e.champion).toMatchObject({ version: 'champ', servedRows: 600, feedback: null });
    expect(e.champion.served!.calls).toBe(600);
    expect(e.champion.served!.perRowMs).toBeCloseTo(0.2, 6);
    expect(e.challenger!.shadow!.perRowMs).toBeCloseTo(0.25, 6);
    expect(e.challenger!.served).toBeNull();
  });

  it('canary step: passes shadow rows and agreement (no latency bar: shadow batches wait); names what fails', () => {
    const good = liveEvidence([replica({ rows: 600, disagree: 30 })], versions, meta);
    expect(stepBars('canary', good).map((b) => [b.id, b.pass])).toEqual([
      ['shadow.rows', true],
      ['shadow.agreement', true],
    ]);
    const thin = liveEvidence([replica({ rows: 100, disagree: 30 })], versions, meta);
    const bars = stepBars('canary', thin);
    expect(bars.filter((b) => !b.pass).map((b) => b.detail)).toEqual([
      `100 rows scored in shadow ≥ ${STEP_POLICY.minShadowRows}`,
      `agreement 0.700 ≥ ${STEP_POLICY.minAgreement}`,
    ]);
    expect(stepBars('shadow', thin)).toEqual([]);
  });

  it('champion step: needs canary rows and feedback, and compares AUC on each model’s outcomes', () => {
    const noFeedback = liveEvidence([replica({ rows: 10, disagree: 0, canaryRows: 600 })], versions, meta);
    expect(stepBars('champion', noFeedback).find((b) => b.id === 'canary.feedback')).toMatchObject({
      pass: false,
      detail: "0 outcomes joined to the challenger's answers (need 200) and 0 to the champion's",
    });
    const e = liveEvidence([replica({ rows: 10, disagree: 0, canaryRows: 600, feedback: true })], versions, meta);
    expect(e.challenger!.feedback!.auc).toBe(1);
    expect(e.champion.feedback!.auc).toBe(0.5);
    expect(stepBars('champion', e).map((b) => [b.id, b.pass])).toEqual([
      ['canary.rows', true],
      ['canary.latency', true],
      ['canary.auc', true],
    ]);
    const md = evidenceMarkdown({ step: 'champion', evidence: e, bars: stepBars('champion', e) });
    expect(md).toContain('## ✅ Release evidence: step champion PASS');
    expect(md).toContain('- ✅ `canary.auc`: AUC 1.0000 on 300 outcomes ≥ champion 0.5000 on 300 − 0.02');
    expect(md).toContain('| challenger `chal` | 600 | 300 | 1.0000 |');
    expect(md).toContain('| 10 | 1.000 |');
    expect(md).toContain('from 2 replicas (counters summed)');
  });

  it('scrapes each URL and names the one that fails', async () => {
    const text = replica({ rows: 5, disagree: 1 });
    const fake: typeof fetch = async (url) =>
      String(url).includes(':2/') ? new Response('no', { status: 500 }) : new Response(text);
    await expect(collectLiveEvidence({ metricsUrls: meta.sources, versions, fetch: fake })).rejects.toThrow(
      'cannot scrape http://127.0.0.1:2/metrics: HTTP 500',
    );
    const e = await collectLiveEvidence({ metricsUrls: [meta.sources[0]], versions, fetch: fake });
    expect(e.shadow!.rows).toBe(5);
  });
});
