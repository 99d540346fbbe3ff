import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { silentLogger } from './logger.ts';
import { Registry } from './prometheus.ts';
import { createServiceMetrics } from './service-metrics.ts';
import { FLIGHT, fakeProvider, json, testConfig } from '../testing/service-fakes.ts';

function promtoolAvailable(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function scrapeAfterTraffic(): Promise<Response> {
  const metrics = createServiceMetrics();
  const app = createApp({ config: testConfig(), models: fakeProvider(), metrics, logger: silentLogger });
  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (let i = 0; i < 30; i++) {
    const { requestId } = await json(
      await post('/v1/predict', { ...FLIGHT, distance: 100 + i * 90, origin: i % 7 === 0 ? 'ZZZ' : 'ORD' }),
    );
    await post('/v1/feedback', { requestId, delayMinutes: i % 3 === 0 ? 40 : 0 });
  }
  await post('/v1/predict', { flights: [FLIGHT, FLIGHT] });
  await post('/v1/predict', { bad: true });
  await app.request('/nowhere');
  metrics.modelLoads.labels('success', 'ok', 'champion').inc();
  metrics.modelLoads.labels('failure', 'hash_mismatch', 'champion').inc();
  metrics.modelInfo.labels('2001-05-01-abcdef12', 'f'.repeat(64)).set(1);
  return app.request('/metrics');
}

describe('GET /metrics', () => {
  it('exposes request, stage, prediction, score, model and online-quality series', async () => {
    const res = await scrapeAfterTraffic();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const line of [
      'http_requests_total{route="/v1/predict",method="POST",status="200"} 31',
      'http_requests_total{route="/v1/predict",method="POST",status="400"} 1',
      'http_requests_total{route="other",method="GET",status="404"} 1',
      'predictions_total{version="v-fake"} 32',
      'prediction_score_count{version="v-fake"} 32',
      'inference_stage_duration_seconds_count{stage="inference"}',
      'unknown_airports_total{field="origin"} 5',
      'model_load_total{result="failure",reason="hash_mismatch",role="champion"} 1',
      'model_info{version="2001-05-01-abcdef12",sha256="ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"} 1',
      'feedback_total{result="matched"} 30',
      'feedback_outcomes_total{version="v-fake",slice="all",flagged="true",delayed="true"} ',
      'feedback_score_bucket{version="v-fake",slice="origin=ORD",delayed="false",le="+Inf"} ',
      'drift_feature_bin_total{version="v-fake",feature="distance",bin="0"} ',
      'drift_reference_share{version="v-fake",feature="origin",bin="2"} 0.5',
      // The last batch waits in the buffer until the next flush (1 s) or claim.
      'prediction_store_rows 30',
      'prediction_store_write_seconds_total ',
      'online_quality_window_rows 30',
      'online_delayed_rate 0.3333333333333333',
      'online_auc ',
      'online_recall_at_budget ',
      'http_request_duration_seconds_bucket{route="/v1/predict",method="POST",status="200",le="+Inf"} 31',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('passes promtool check metrics (npm test installs it: scripts/setup-system.sh)', async () => {
    if (!promtoolAvailable()) {
      throw new Error('promtool is not installed: run `npm run setup` (Debian package "prometheus")');
    }
    const text = await (await scrapeAfterTraffic()).text();
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('Registry', () => {
  it('renders counters, gauges and cumulative histograms in the text format, escaping label values', () => {
    const r = new Registry();
    r.counter('jobs_total', 'Jobs.', ['kind']).labels('a"b\\c\nd').inc(2);
    r.gauge('temperature_celsius', 'Heat.\nTwo lines.').set(Number.NaN);
    const h = r.histogram('wait_seconds', 'Waits.', [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 5]) h.observe(v);
    expect(r.render()).toBe(
      [
        '# HELP jobs_total Jobs.',
        '# TYPE jobs_total counter',
        'jobs_total{kind="a\\"b\\\\c\\nd"} 2',
        '# HELP temperature_celsius Heat.\\nTwo lines.',
        '# TYPE temperature_celsius gauge',
        'temperature_celsius NaN',
        '# HELP wait_seconds Waits.',
        '# TYPE wait_seconds histogram',
        'wait_seconds_bucket{le="0.1"} 2',
        'wait_seconds_bucket{le="1"} 3',
        'wait_seconds_bucket{le="+Inf"} 4',
        'wait_seconds_sum 5.65',
        'wait_seconds_count 4',
        '',
      ].join('\n'),
    );
  });

  it('refuses invalid names, duplicate metrics and wrong label counts', () => {
    const r = new Registry();
    expect(() => r.counter('bad-name', 'x')).toThrow('metric name "bad-name" is not a valid Prometheus name');
    r.counter('ok_total', 'x', ['a']);
    expect(() => r.counter('ok_total', 'x')).toThrow('metric ok_total is already registered');
    const g = r.gauge('g', 'x', ['a', 'b']);
    expect(() => g.labels('only-one')).toThrow('metric g takes labels (a, b), got 1 values');
    expect(() => r.histogram('h_seconds', 'x', [1, 0.5])).toThrow('buckets must increase');
  });
});
