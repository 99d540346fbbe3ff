import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeCard, fakeMetricSet } from '../testing/registry.ts';
import type { GateCheck, SliceComparison } from './evaluate.ts';
import { evidenceModel } from '../lib/release/evidence.ts';
import { formatEvidence, type GateEvidence } from './evidence.ts';
import { parsePolicy } from './policy.ts';
import { GITHUB_COMMENT_LIMIT, REPORT_MARKER, renderGateReport, sliceChart } from './report.ts';

const policy = parsePolicy(readFileSync(path.join(import.meta.dirname, 'policy.json'), 'utf8'));

function check(id: string, status: GateCheck['status'], detail = 'measured something'): GateCheck {
  return {
    id,
    group: id.startsWith('slice') ? 'slice' : 'floor',
    description: `description of ${id}`,
    status,
    figure: 0.5,
    threshold: '≥ 0.4',
    detail,
  };
}

function slice(i: number): SliceComparison {
  const auc = 0.6 + (i % 17) / 200;
  return {
    slice: `origin=A${String(i).padStart(4, '0')}`,
    rows: 5000 + i,
    positives: 900,
    candidate: { auc, recallAtBudget: 0.38 },
    champion: { auc: auc - 0.004, recallAtBudget: 0.37 },
    deltaAuc: 0.004,
    ci: { lo: -0.006, hi: 0.014 },
    gated: true,
  };
}

function evidence(
  options: { slices?: number; checks?: GateCheck[]; verdict?: 'pass' | 'fail'; champion?: boolean } = {},
): GateEvidence {
  const candidate = fakeCard(new TextEncoder().encode('c'), { asOf: '2001-05-01' });
  const champion = fakeCard(new TextEncoder().encode('k'), { asOf: '2001-04-01' });
  const checks = options.checks ?? [check('floor.auc', 'pass'), check('non-regression.auc', 'pass')];
  const failed = checks.filter((c) => c.status === 'fail').length;
  const skipped = checks.filter((c) => c.status === 'skip').length;
  const withChampion = options.champion ?? true;
  const ci = {
    metric: 'auc' as const,
    candidate: 0.68,
    champion: 0.67,
    delta: 0.01,
    lo: 0.006,
    hi: 0.014,
    iterations: 1000,
  };
  return {
    schemaVersion: 1,
    kind: 'taxiway.gate-evidence',
    model: 'flight-delay',
    verdict: options.verdict ?? (failed > 0 ? 'fail' : 'pass'),
    summary: { passed: checks.length - failed - skipped, failed, skipped, total: checks.length },
    checks,
    metrics: { candidate: fakeMetricSet(0.68, 0.39), champion: withChampion ? fakeMetricSet(0.67, 0.38) : null },
    bootstrap: {
      auc: withChampion ? ci : null,
      recallAtBudget: withChampion ? { ...ci, metric: 'recallAtBudget' } : null,
    },
    slices: Array.from({ length: options.slices ?? 12 }, (_, i) =>
      withChampion ? slice(i) : { ...slice(i), champion: null, deltaAuc: null, ci: null },
    ),
    latency: { calls: 2000, meanMs: 0.2, p50Ms: 0.18, p90Ms: 0.25, p99Ms: 0.41, maxMs: 1.2 },
    golden: { examples: 18, maxAbsDifference: 0 },
    data: {
      rows: 120_000,
      positives: 20_000,
      labelRate: 0.166,
      nullShare: 0,
      unseenAirportShare: 0.0001,
      unseenRouteShare: 0.004,
      trainRows: 1_500_000,
    },
    candidate: evidenceModel(candidate),
    champion: withChampion ? evidenceModel(champion) : null,
    policy: { file: 'gates/policy.json', sha256: 'e'.repeat(64), values: policy },
    evaluation: {
      start: '2001-04-24T00:00',
      end: '2001-05-01T00:00',
      rows: 120_000,
      positives: 20_000,
      dataFile: 'vega-datasets/data/flights-3m.parquet',
      dataSha256: 'a'.repeat(64),
    },
    gate: {
      createdAt: '2001-05-01T08:00:00.000Z',
      code: { commit: '1'.repeat(40), dirty: false },
      node: 'v24.21.0',
      run: null,
    },
    timings: { scoreCandidateMs: 1500, totalMs: 9000 },
  };
}

describe('gate report', () => {
  it('leads with the verdict, then metrics, checks, a mermaid chart and the slice table', () => {
    const text = renderGateReport(evidence());
    const lines = text.split('\n');
    expect(lines[0]).toBe(REPORT_MARKER);
    expect(lines[1]).toMatch(
      /^## ✅ Model gate: PASS — candidate `2001-05-01-[0-9a-f]{8}` vs champion `2001-04-01-[0-9a-f]{8}`$/,
    );
    expect(text).toContain('**2 passed, 0 failed, 0 skipped**');
    expect(text).toContain('| AUC | 0.6800 | 0.6700 | +0.0100 [+0.0060, +0.0140] |');
    expect(text).toContain('```mermaid\nxychart-beta\n  title "AUC by slice (bars: candidate, line: champion)"');
    expect(text).toMatch(/ {2}y-axis "AUC" 0\.\d\d --> 0\.\d\d\n {2}bar \[0\.6000, /);
    expect(text).toContain(
      '| origin=A0003 | 5,003 | 900 | 0.6150 | 0.6110 | +0.0040 [−0.0060, +0.0140] | 0.3800 | 0.3700 | yes |',
    );
    expect(text).not.toContain('not shown');
  });

  it('lists failing checks first and marks a first model', () => {
    const text = renderGateReport(
      evidence({
        checks: [check('floor.auc', 'fail', 'AUC 0.5800'), check('non-regression.auc', 'skip')],
        champion: false,
      }),
    );
    expect(text).toContain('## ❌ Model gate: FAIL — candidate');
    expect(text).toContain('(first model: no champion)');
    expect(text).toContain('### Failing checks\n\n- ❌ `floor.auc`: AUC 0.5800 (threshold ≥ 0.4)');
    expect(text).toContain('| AUC | 0.6800 | — | — |');
    expect(text).toContain('title "AUC by slice (bars: candidate)"');
  });

  it('stays under the GitHub comment limit with huge tables, keeping failing rows', () => {
    const checks = [
      ...Array.from({ length: 3000 }, (_, i) =>
        check(`slice.auc[origin=A${String(i).padStart(4, '0')}]`, i === 2500 ? 'fail' : 'pass', 'x'.repeat(300)),
      ),
      check('floor.auc', 'pass'),
    ];
    const big = evidence({ slices: 3000, checks });
    big.slices[2500].deltaAuc = -0.05;
    const text = renderGateReport(big);
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(text.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(text).toContain('## ❌ Model gate: FAIL');
    expect(text).toContain('`slice.auc[origin=A2500]`');
    expect(text).toMatch(
      /_\d+ more slices not shown \(failing and worst kept\); see evidence\.json\._|_\d+ passing or skipped checks not shown/,
    );
    // The full record stays in evidence.json.
    expect(JSON.parse(formatEvidence(big)).slices).toHaveLength(3000);
  });

  it('cuts with a note even when a tiny budget cannot hold the essentials', () => {
    const text = renderGateReport(evidence(), 500);
    expect(text.length).toBeLessThanOrEqual(500);
    expect(text.endsWith("_Report cut to stay under GitHub's comment limit; evidence.json has every figure._\n")).toBe(
      true,
    );
  });

  it('charts at most 24 gated slices and nothing when there are none', () => {
    const chart = sliceChart(Array.from({ length: 40 }, (_, i) => slice(i)));
    expect(chart.find((l) => l.includes('x-axis'))!.match(/"origin=/g)).toHaveLength(24);
    expect(sliceChart([])).toEqual([]);
  });

  it('writes NaN figures as null in evidence.json', () => {
    const e = evidence();
    e.metrics.candidate.auc = Number.NaN;
    expect(JSON.parse(formatEvidence(e)).metrics.candidate.auc).toBeNull();
  });
});
