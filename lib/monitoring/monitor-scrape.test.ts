import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateExpression, evaluateRulesOnScrape, type ScrapeContext, scrapeSamples } from './monitor-scrape.ts';
import { loadRuleFile } from './rules.ts';

const SCRAPE = `# TYPE http_requests_total counter
http_requests_total{route="/v1/predict",status="200"} 900
http_requests_total{route="/v1/predict",status="503"} 60
http_requests_total{route="/v1/predict",status="400"} 40
http_requests_total{route="/healthz",status="200"} 7
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/v1/predict",le="0.0064"} 500
http_request_duration_seconds_bucket{route="/v1/predict",le="0.0256"} 900
http_request_duration_seconds_bucket{route="/v1/predict",le="+Inf"} 1000
http_request_duration_seconds_sum{route="/v1/predict"} 9
http_request_duration_seconds_count{route="/v1/predict"} 1000
# TYPE model_load_total counter
model_load_total{role="champion",result="success",reason="ok"} 1
model_load_total{role="challenger",result="failure",reason="sha256"} 1
# TYPE model_trained_timestamp_seconds gauge
model_trained_timestamp_seconds{version="v1"} 1000
# TYPE service_ready gauge
service_ready 1
# TYPE model_manifest_in_sync gauge
model_manifest_in_sync 0
`;

function context(text = SCRAPE, nowSeconds = 1000 + 15 * 86_400): ScrapeContext {
  return { series: scrapeSamples(text, { job: 'taxiway', instance: 'h:1' }), nowSeconds };
}
const values = (expr: string, ctx = context()) =>
  evaluateExpression(expr, ctx).map((s) => [
    Object.fromEntries(Object.entries(s.labels).filter(([k]) => k !== 'instance')),
    s.value,
  ]);

describe('PromQL over one scrape', () => {
  it('reads counters as their increase since the process started, and ratios of rates exactly', () => {
    expect(values('sum by (job) (increase(http_requests_total{route="/v1/predict",status=~"5..|429"}[1h]))')).toEqual([
      [{ job: 'taxiway' }, 60],
    ]);
    expect(
      values(
        'sum by (job) (rate(http_requests_total{route="/v1/predict",status=~"4..",status!="429"}[10m])) / sum by (job) (rate(http_requests_total{route="/v1/predict"}[10m]))',
      ),
    ).toEqual([[{ job: 'taxiway' }, 0.04]]);
    expect(
      values(
        '1 - sum by (job) (rate(http_request_duration_seconds_bucket{le="0.0256"}[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m]))',
      )[0][1],
    ).toBeCloseTo(0.1);
  });

  it('interpolates histogram_quantile inside the bucket as Prometheus does', () => {
    // Rank 990 of 1000 falls in (0.0256, +Inf]: the quantile is that bucket's lower bound.
    expect(values('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))')).toEqual([
      [{}, 0.0256],
    ]);
    expect(
      values('histogram_quantile(0.7, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))')[0][1],
    ).toBeCloseTo(0.0064 + 0.0192 * 0.5);
  });

  it('filters with comparisons, matches on labels for and/unless, and treats offset as "before the scrape"', () => {
    expect(
      values('model_manifest_in_sync{job="taxiway"} == 0 and on (job, instance) service_ready{job="taxiway"} == 1'),
    ).toEqual([[{ __name__: 'model_manifest_in_sync', job: 'taxiway' }, 0]]);
    expect(
      values('sum by (role) (model_load_total{result="failure"} unless model_load_total{result="failure"} offset 15m)'),
    ).toEqual([[{ role: 'challenger' }, 1]]);
    expect(values('time() - max by (job) (model_trained_timestamp_seconds > 0) > 14 * 86400')).toEqual([
      [{ job: 'taxiway' }, 15 * 86_400],
    ]);
    expect(values('absent(up{job="taxiway"})')).toEqual([]);
    expect(values('absent(nothing{job="taxiway"})')).toEqual([[{ job: 'taxiway' }, 1]]);
  });

  it('refuses what it does not implement, naming it', () => {
    expect(() => values('max_over_time(service_ready[1h])')).toThrow(/does not support function max_over_time/);
    expect(() => values('service_ready > bool 0')).toThrow(/bool modifier/);
  });

  it('evaluates every recording and alert rule of monitoring/ (no node it does not implement)', async () => {
    const files = [
      await loadRuleFile(path.resolve('monitoring/recording.yml')),
      await loadRuleFile(path.resolve('monitoring/alerts.yml')),
    ];
    const { alerts, recorded } = evaluateRulesOnScrape(files, context());
    expect(recorded.get('taxiway:predict_errors:ratio_rate5m')?.[0].value).toBeCloseTo(0.06);
    expect(recorded.get('taxiway:predict_latency_seconds:p99_5m')?.[0].value).toBe(0.0256);
    const firing = [...alerts].filter(([, a]) => a.length > 0).map(([name]) => name);
    expect(firing.sort()).toEqual([
      'TaxiwayAvailabilityBudgetBurnFast',
      'TaxiwayAvailabilityBudgetBurnSlow',
      // 10% slower than 25.6 ms: above 6 × 1%, below 14.4 × 1%.
      'TaxiwayLatencyBudgetBurnSlow',
      'TaxiwayManifestOutOfSync',
      'TaxiwayModelLoadFailed',
      'TaxiwayModelStale',
    ]);
    expect(alerts.get('TaxiwayModelLoadFailed')![0].labels).toMatchObject({
      role: 'challenger',
      reason: 'sha256',
      action: 'investigate',
    });
  });
});
