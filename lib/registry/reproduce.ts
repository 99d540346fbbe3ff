/** What it takes to retrain a registered version: its card holds the run's inputs. */
import type { GbdtParams } from '../ml/gbdt/booster.ts';
import type { ModelCard } from './card.ts';

export interface RetrainOptions {
  asOf: string;
  trainDays?: number;
  params: Partial<GbdtParams>;
}

/** Card → trainModel options. The card records run-level settings next to the GBDT parameters. */
export function retrainOptions(card: ModelCard): RetrainOptions {
  const {
    trainDays,
    dataset: _dataset,
    alertBudget: _alertBudget,
    threads: _threads,
    ...params
  } = card.params as Record<string, unknown>;
  // threads is dropped: the booster's histogram sums are exact, so the artifact does not depend on it.
  // Cards from before earlyStoppingMetric existed stopped on validation log loss.
  const earlyStoppingMetric = params.earlyStoppingMetric ?? 'logloss';
  return {
    asOf: card.data.asOf,
    trainDays: typeof trainDays === 'number' ? trainDays : undefined,
    params: { ...(params as Partial<GbdtParams>), earlyStoppingMetric, seed: card.seed } as Partial<GbdtParams>,
  };
}
