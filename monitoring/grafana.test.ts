/**
 * The Grafana dashboard (monitoring/grafana/taxiway.json): every PromQL expression parses with
 * Prometheus's grammar (lib/monitoring/promql.ts) and reads only series the service declares
 * (service/service-metrics.ts, rendered as /metrics renders it), the recording rules record, or
 * Prometheus makes itself — the same sets the alert rules are held to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../service/service-metrics.ts';
import { parseExposition, seriesNames } from '../lib/monitoring/exposition.ts';
import { selectedMetrics } from '../lib/monitoring/promql.ts';
import { loadRuleFile, metricsReadByRules, PROMETHEUS_SERIES } from '../lib/monitoring/rules.ts';

const DIR = path.resolve(import.meta.dirname);

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string }[];
}

const dashboard = JSON.parse(readFileSync(path.join(DIR, 'grafana/taxiway.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};

async function knownSeries(): Promise<Set<string>> {
  const declared = seriesNames(parseExposition(createServiceMetrics().registry.render()));
  const recording = await loadRuleFile(path.join(DIR, 'recording.yml'));
  const recorded = recording.groups.flatMap((g) => g.rules.map((r) => r.record!));
  return new Set([...declared, ...recorded, ...PROMETHEUS_SERIES]);
}

describe('the Grafana dashboard', () => {
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

  it('has panels with unique ids, a grid position and targets with unique refIds', () => {
    expect(dashboard.uid).toBe('taxiway-service');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.w, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      const refs = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refs).size, p.title).toBe(refs.length);
      if (p.type !== 'row') expect(refs.length, p.title).toBeGreaterThan(0);
    }
    expect(targets.length).toBeGreaterThan(15);
  });

  it('parses every expression and reads only series the service exports or the recording rules define', async () => {
    const known = await knownSeries();
    const unknown = targets.flatMap((t) =>
      [...selectedMetrics(t.expr)].filter((m) => !known.has(m)).map((m) => `${m} (${t.panel})`),
    );
    expect(unknown).toEqual([]);
  });

  it('shows every recorded series and every metric the alert rules read', async () => {
    const rules = [
      await loadRuleFile(path.join(DIR, 'recording.yml')),
      await loadRuleFile(path.join(DIR, 'alerts.yml')),
    ];
    const shown = new Set(targets.flatMap((t) => [...selectedMetrics(t.expr)]));
    const recorded = rules[0].groups.flatMap((g) => g.rules.map((r) => r.record!));
    // Per-bin shares are what PSI summarises; one line per bin and feature would be noise.
    expect(recorded.filter((r) => !shown.has(r) && r !== 'taxiway:drift_bin_share:ratio1h')).toEqual([]);
    // Raw counters the recording rules already summarise need no panel of their own.
    const summarised = new Set([
      'feedback_outcomes_total',
      'drift_feature_bin_total',
      'drift_reference_share',
      'http_request_duration_seconds_count',
      'model_source_checked_timestamp_seconds',
    ]);
    const read = [...metricsReadByRules(rules).keys()].filter((m) => !summarised.has(m) && !shown.has(m));
    expect(read).toEqual([]);
  });
});
