import { describe, expect, it } from 'vitest';
import { OnlineQuality } from './online-quality.ts';

describe('OnlineQuality', () => {
  it('computes rates, AUC and recall/precision at the budget over the last `window` outcomes', () => {
    const q = new OnlineQuality(10, 0.2);
    // 20 outcomes; only the last 10 count: scores 0.10..0.19, delayed when score ≥ 0.18.
    for (let i = 0; i < 20; i++) q.add(i / 100, i >= 18 ? 30 : 0, i >= 17);
    expect(q.snapshot()).toMatchObject({
      total: 20,
      rows: 10,
      positives: 2,
      delayedRate: 0.2,
      flagRate: 0.3,
      auc: 1,
      recallAtBudget: 1,
      precisionAtBudget: 1,
      recallAtThreshold: 1,
    });
  });

  it('leaves figures undefined (null) until both classes are present', () => {
    const q = new OnlineQuality(5);
    expect(q.snapshot()).toMatchObject({ rows: 0, auc: null, recallAtBudget: null, delayedRate: null });
    q.add(0.5, 0, false);
    expect(q.snapshot()).toMatchObject({
      rows: 1,
      auc: null,
      recallAtBudget: null,
      precisionAtBudget: 0,
      delayedRate: 0,
    });
  });
});
