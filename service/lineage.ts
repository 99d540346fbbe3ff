/** Lineage of a version from its card, for GET /v1/model. */
import type { ManifestEntry } from '../lib/manifest/schema.ts';
import type { ModelCard } from '../lib/registry/card.ts';

/** Lineage of one version, from its card, for /v1/model. */
export interface Lineage {
  version: string;
  sha256: string;
  path: string;
  trainedAt: string | null;
  codeCommit: string | null;
  codeDirty: boolean | null;
  data: ModelCard['data'] | null;
  runUrl: string | null;
  threshold: number | null;
  metrics: Pick<
    ModelCard['metrics']['evaluation'],
    'auc' | 'recallAtBudget' | 'precisionAtBudget' | 'logLoss' | 'brier' | 'ece' | 'rows'
  > | null;
  trees: number | null;
  algorithm: string | null;
  /** Why the card could not be read, when it could not. */
  cardError?: string;
}

export function lineage(entry: Pick<ManifestEntry, 'version' | 'sha256' | 'path'>, card: ModelCard | null): Lineage {
  const e = card?.metrics?.evaluation;
  return {
    version: entry.version,
    sha256: entry.sha256,
    path: entry.path,
    trainedAt: card?.createdAt ?? null,
    codeCommit: card?.code?.commit ?? null,
    codeDirty: card?.code?.dirty ?? null,
    data: card?.data ?? null,
    runUrl: card?.run?.url ?? null,
    threshold: card?.threshold ?? null,
    metrics: e
      ? {
          auc: e.auc,
          recallAtBudget: e.recallAtBudget,
          precisionAtBudget: e.precisionAtBudget,
          logLoss: e.logLoss,
          brier: e.brier,
          ece: e.ece,
          rows: e.rows,
        }
      : null,
    trees: card?.trees ?? null,
    algorithm: card?.algorithm ?? null,
  };
}
