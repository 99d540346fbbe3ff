import { describe, expect, it } from 'vitest';
import { busiestOrigin, formatScenarioResult, SCENARIOS, type ScenarioResult } from './scenario.ts';
import type { ReplaySummary } from './replay.ts';
import type { ReplayFlight } from './traffic.ts';

const flight = (origin: string): ReplayFlight => ({
  departure: '2001-05-07T10:00',
  distance: 500,
  origin,
  destination: 'LGA',
  delayMinutes: 0,
});

describe('scenarios', () => {
  it('pick the busiest origin for the dead-feed changes', () => {
    const baseline = ['ATL', 'ORD', 'ORD', 'DFW', 'ORD', 'ATL'].map(flight);
    expect(busiestOrigin(baseline)).toBe('ORD');
    expect(SCENARIOS['dead-feed'].changes(baseline)).toEqual([{ kind: 'drop-origin', airport: 'ORD' }]);
    expect(SCENARIOS['stuck-feed'].changes(baseline)).toEqual([
      { kind: 'stuck', airport: 'ORD', field: 'time', value: '00:00' },
    ]);
    expect(SCENARIOS.kilometres.changes(baseline)).toEqual([{ kind: 'kilometres' }]);
  });

  it('report which alert fired after how many requests, and PSI and recall per phase', () => {
    const replay = { predictions: { requests: 1200, flaggedShare: 0.2 }, delayedShare: 0.18 } as ReplaySummary;
    const result: ScenarioResult = {
      scenario: 'kilometres',
      summary: 'km',
      scale: 60,
      rate: 11.6,
      model: 'v1',
      baseline: {
        week: '2001-05-07',
        changes: [],
        replay,
        transitions: [],
        psi: { distance: 0.01 },
        recall: {},
        atBudget: {},
      },
      changed: {
        week: '2001-05-07',
        changes: [{ kind: 'kilometres' }],
        replay,
        transitions: [
          {
            alert: 'TaxiwayFeatureDrift',
            labels: { feature: 'distance' },
            state: 'pending',
            requests: 300,
            seconds: 26,
          },
          {
            alert: 'TaxiwayFeatureDrift',
            labels: { feature: 'distance' },
            state: 'firing',
            requests: 360,
            seconds: 31,
          },
        ],
        psi: { distance: 0.912 },
        recall: { all: { recall: 0.41, delayed: 230 } },
        atBudget: { all: { recall: 0.38, precision: 0.33, auc: 0.71, rows: 1300 } },
      },
      firstDriftFiring: null,
      firstQualityFiring: null,
      caughtFirstBy: 'drift',
    };
    result.firstDriftFiring = result.changed.transitions[1];
    const text = formatScenarioResult(result);
    expect(text).toContain('TaxiwayFeatureDrift {"feature":"distance"} after 360 requests (31 s)');
    expect(text).toContain('caught first by: **drift** (drift after 360 requests)');
    expect(text).toContain('| distance | 0.010 | 0.912 |');
    expect(text).toContain('| all | n/a (0) | 0.410 (230) | n/a | 0.380 | n/a | 0.710 |');
    expect(text).toContain('Flagged (served threshold): 20.0% → 20.0% of rows; actually delayed: 18.0% → 18.0%.');
  });
});
