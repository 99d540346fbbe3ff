/**
 * Monitoring against the real service process (committed champion): its /metrics after real
 * traffic and feedback passes `promtool check metrics` and exports every metric the rules read;
 * a real Prometheus (Debian's) scrapes it, evaluates the rules (compressed 60× in time) and an
 * alert goes pending → firing when the traffic breaks a rule.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFlights } from '../lib/data/flights.ts';
import { parseExposition, seriesNames } from '../lib/monitoring/exposition.ts';
import { type PrometheusAlert, type PrometheusServer, startPrometheus } from '../lib/monitoring/prometheus-server.ts';
import {
  loadRuleFile,
  metricsReadByRules,
  PROMETHEUS_SERIES,
  type RuleFile,
  scaleRuleFile,
} from '../lib/monitoring/rules.ts';
import { replay } from '../lib/replay/replay.ts';
import { type ReplayFlight, selectTraffic } from '../lib/replay/traffic.ts';
import { type ServerProcess, startServerProcess } from '../testing/server-process.ts';

let service: ServerProcess;
let prometheus: PrometheusServer | null = null;
let flights: ReplayFlight[];
let rules: Record<string, RuleFile>;

beforeAll(async () => {
  service = await startServerProcess({ env: { LOG_REQUESTS: 'false' } });
  await service.ready();
  const table = await loadFlights();
  flights = selectTraffic(table, { week: '2001-06-04', limit: 3000, seed: 11 }).flights;
  rules = {
    'recording.yml': await loadRuleFile(path.resolve('monitoring/recording.yml')),
    'alerts.yml': await loadRuleFile(path.resolve('monitoring/alerts.yml')),
  };
});

afterAll(async () => {
  await prometheus?.stop();
  await service?.stop();
});

describe('the service as the rules see it', () => {
  it('exports, after real traffic and feedback, every metric the alert and recording rules read', async () => {
    const summary = await replay({ url: service.url, flights: flights.slice(0, 400), rate: 200, feedbackDelayMs: 0 });
    expect(summary.feedback.matched).toBe(400);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error, 'promtool is missing: run scripts/setup-test-deps.sh').toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);

    const families = parseExposition(text);
    const exported = seriesNames(families);
    const withSamples = seriesNames(families.filter((f) => f.metrics.length > 0));
    const read = metricsReadByRules(Object.values(rules));
    expect(read.size).toBeGreaterThan(10);
    const missing: string[] = [];
    const empty: string[] = [];
    for (const [name, users] of read) {
      if (PROMETHEUS_SERIES.has(name)) continue;
      if (!exported.has(name)) missing.push(`${name} (read by ${users.join(', ')})`);
      else if (!withSamples.has(name)) empty.push(name);
    }
    expect(missing, 'metrics the rules read that the service does not export').toEqual([]);
    expect(empty, 'metrics the rules read that stay empty after traffic and feedback').toEqual([]);
  });
});

describe('a real Prometheus', () => {
  it('scrapes the service, evaluates the rules, and fires TaxiwayRejectedInputHigh pending → firing', async () => {
    // Compressed 60× in time: the 10 m window and 10 m `for` become 10 s.
    prometheus = await startPrometheus({
      targets: [new URL(service.url).host],
      ruleFiles: Object.fromEntries(Object.entries(rules).map(([name, r]) => [name, scaleRuleFile(r, 60)])),
      scrapeIntervalMs: 1000,
      evaluationIntervalMs: 1000,
    });
    const up = async () => (await prometheus!.query('up{job="taxiway"}'))[0]?.value;
    await waitFor(async () => (await up()) === 1, 15_000, 'the service to be scraped (up == 1)');

    // Healthy traffic: nothing about input fires.
    await replay({ url: service.url, flights: flights.slice(400, 700), rate: 60, feedbackDelayMs: null });
    expect((await prometheus.alerts()).map((a) => a.labels.alertname)).not.toContain('TaxiwayRejectedInputHigh');

    // An upstream bug: every 5th flight arrives with distance 0, which the service refuses (400).
    const broken = flights.slice(700, 2500).map((f, i) => (i % 5 === 0 ? { ...f, distance: 0 } : f));
    const seen: { state: PrometheusAlert['state']; atMs: number }[] = [];
    const started = performance.now();
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        const alert = (await prometheus!.alerts()).find((a) => a.labels.alertname === 'TaxiwayRejectedInputHigh');
        if (alert && seen.at(-1)?.state !== alert.state)
          seen.push({ state: alert.state, atMs: performance.now() - started });
        if (alert?.state === 'firing') return alert;
        await new Promise((r) => setTimeout(r, 250));
      }
      return null;
    })();
    const controller = new AbortController();
    const traffic = replay({
      url: service.url,
      flights: broken,
      rate: 60,
      feedbackDelayMs: null,
      signal: controller.signal,
    });
    const firing = await Promise.race([watcher, new Promise<null>((r) => setTimeout(() => r(null), 35_000).unref())]);
    stop = true;
    controller.abort();
    const summary = await traffic;
    expect(summary.predictions.statuses[400]).toBeGreaterThan(0);
    expect(firing, `alert states seen: ${JSON.stringify(seen)}; prometheus: ${prometheus.logs()}`).not.toBeNull();
    expect(seen.map((s) => s.state)).toEqual(['pending', 'firing']);
    expect(firing!.labels).toMatchObject({ severity: 'warning', action: 'investigate', job: 'taxiway' });
    expect(firing!.annotations.runbook_url).toBe('ROLLBACK.md#taxiwayrejectedinputhigh');
    expect(Number(firing!.value)).toBeGreaterThan(0.05);
    // Recording rules run on the real scrape too.
    expect((await prometheus.query('taxiway:predict_rejected_input:ratio_rate10m'))[0]?.value).toBeGreaterThan(0.05);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
