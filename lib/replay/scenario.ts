/**
 * Drift scenarios: a real service and a real Prometheus (the repository's rules, compressed in time
 * by `scale`), a baseline phase of normal traffic, then a changed phase — another season, or a
 * broken upstream — while alert states are polled. What comes out is measured, not asserted: which
 * alerts went pending and firing after how many changed requests, and how PSI per feature and
 * recall per slice moved between the phases.
 *
 * The replay runs at the data set's own volume sped up by the same factor as the rules (one week
 * of flights in a week / `scale`), so a compressed one-hour window holds about as many flights as
 * a real hour did in 2001.
 */
import type { FlightTable } from '../data/flights.ts';
import { qualityFromBuckets } from '../metrics/bucketed.ts';
import { inlineRecorded, withRange } from '../monitoring/promql.ts';
import { type PrometheusAlert, type PrometheusServer, startPrometheus } from '../monitoring/prometheus-server.ts';
import { type RuleFile, scaleRuleFile } from '../monitoring/rules.ts';
import { replay, type ReplaySummary } from './replay.ts';
import { type ReplayFlight, selectTraffic, type TrafficChange } from './traffic.ts';

export interface Scenario {
  name: string;
  summary: string;
  /** Serve a model trained at this `asOf` instead of the committed champion. */
  train?: { asOf: string };
  baselineWeek: string;
  changedWeek: string;
  /** The changes of the second phase, given the baseline's flights (to pick e.g. the busiest hub). */
  changes(baseline: readonly ReplayFlight[]): TrafficChange[];
  /** Changed requests at most (default 3,000). */
  maxChangedRequests?: number;
}

/** The busiest origin among the flights. */
export function busiestOrigin(flights: readonly ReplayFlight[]): string {
  const counts = new Map<string, number>();
  for (const f of flights) counts.set(f.origin, (counts.get(f.origin) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

export const SCENARIOS: Record<string, Scenario> = {
  'natural-drift': {
    name: 'natural-drift',
    summary: 'a champion trained on winter months (data to 2001-03-01) serves March traffic, then June traffic',
    train: { asOf: '2001-03-01' },
    baselineWeek: '2001-03-01',
    changedWeek: '2001-06-04',
    changes: () => [],
    maxChangedRequests: 4000,
  },
  kilometres: {
    name: 'kilometres',
    summary: 'the committed champion serves May traffic, then the same traffic with distance in kilometres',
    baselineWeek: '2001-05-07',
    changedWeek: '2001-05-07',
    changes: () => [{ kind: 'kilometres' }],
  },
  'dead-feed': {
    name: 'dead-feed',
    summary: "the committed champion serves May traffic, then the busiest origin's flights stop arriving",
    baselineWeek: '2001-05-07',
    changedWeek: '2001-05-07',
    changes: (baseline) => [{ kind: 'drop-origin', airport: busiestOrigin(baseline) }],
  },
  'stuck-feed': {
    name: 'stuck-feed',
    summary: "the committed champion serves May traffic, then the busiest origin's flights arrive with time 00:00",
    baselineWeek: '2001-05-07',
    changedWeek: '2001-05-07',
    changes: (baseline) => [{ kind: 'stuck', airport: busiestOrigin(baseline), field: 'time', value: '00:00' }],
  },
};

export interface ScenarioOptions {
  table: FlightTable;
  rules: Record<string, RuleFile>;
  /** Starts the service on the committed champion, or on the model repository folder given. */
  startService(modelRoot: string | null): Promise<{ url: string; stop(): Promise<unknown> }>;
  /** Trains a model at `asOf` into a model repository folder (manifest + artifact + card). */
  trainModelRepo(asOf: string): Promise<string>;
  /** Rules and replay speed-up (default 60). */
  scale?: number;
  /** Prediction requests per second; default the data set's volume × scale. */
  rate?: number;
  baselineRequests?: number;
  maxChangedRequests?: number;
  /** Real outcomes follow each prediction after this long (default 2 s). */
  feedbackDelayMs?: number;
  seed?: number;
  log?(line: string): void;
}

export interface AlertTransition {
  alert: string;
  /** feature / slice / version labels that say what fired. */
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  /** Prediction requests answered in the phase when the state was first seen. */
  requests: number;
  seconds: number;
}

export interface PhaseResult {
  week: string;
  changes: TrafficChange[];
  replay: ReplaySummary;
  transitions: AlertTransition[];
  /** PSI per feature over the phase (from Prometheus, the recording rule's formula). */
  psi: Record<string, number>;
  /** Recall at the served threshold per slice over the phase, and the delayed outcomes it rests on. */
  recall: Record<string, { recall: number; delayed: number }>;
  /** Recall and precision at exactly the 20% budget and AUC per slice, from the feedback_score histograms. */
  atBudget: Record<string, { recall: number; precision: number; auc: number; rows: number }>;
}

export interface ScenarioResult {
  scenario: string;
  summary: string;
  scale: number;
  rate: number;
  model: string;
  baseline: PhaseResult;
  changed: PhaseResult;
  /** The first drift and the first quality alert to fire in the changed phase, in requests. */
  firstDriftFiring: AlertTransition | null;
  firstQualityFiring: AlertTransition | null;
  caughtFirstBy: 'drift' | 'quality' | 'neither';
}

const DRIFT_ALERTS = new Set(['TaxiwayFeatureDrift']);
const QUALITY_ALERTS = new Set(['TaxiwayRecallBelowFloor', 'TaxiwaySliceRecallLow']);
const WEEK_SECONDS = 7 * 24 * 3600;

export async function runScenario(scenario: Scenario, options: ScenarioOptions): Promise<ScenarioResult> {
  const log = options.log ?? (() => {});
  const scale = options.scale ?? 60;
  const seed = options.seed ?? 1;
  const baselineSelection = selectTraffic(options.table, {
    week: scenario.baselineWeek,
    seed,
    limit: options.baselineRequests ?? 1200,
  });
  const rate = options.rate ?? (baselineSelection.inWindow / WEEK_SECONDS) * scale;
  const baselineFlights = baselineSelection.flights;
  const changes = scenario.changes(baselineFlights);
  const maxChanged = options.maxChangedRequests ?? scenario.maxChangedRequests ?? 3000;
  // A different seed, so a changed phase of the same week sends other flights than the baseline did.
  const changedFlights = selectTraffic(options.table, {
    week: scenario.changedWeek,
    seed: seed + 1,
    limit: maxChanged,
    changes,
  }).flights;
  const feedbackDelayMs = options.feedbackDelayMs ?? 2000;

  const modelRoot = scenario.train ? await options.trainModelRepo(scenario.train.asOf) : null;
  const service = await options.startService(modelRoot);
  let prometheus: PrometheusServer | null = null;
  try {
    prometheus = await startPrometheus({
      targets: [new URL(service.url).host],
      ruleFiles: Object.fromEntries(Object.entries(options.rules).map(([n, r]) => [n, scaleRuleFile(r, scale)])),
    });
    await waitUntil(async () => (await prometheus!.query('up{job="taxiway"}'))[0]?.value === 1, 20_000, 'first scrape');
    // Before the first scrape `absent(up)` holds; let that alert resolve before watching.
    await waitUntil(
      async () => !(await prometheus!.alerts()).some((a) => a.labels.alertname === 'TaxiwayTargetMissing'),
      20_000,
      'TaxiwayTargetMissing to resolve after the first scrape',
    );
    const model = await fetch(new URL('/readyz', service.url))
      .then((r) => r.json() as Promise<{ serving?: { version?: string } }>)
      .then((b) => b.serving?.version ?? 'unknown');
    log(`scenario ${scenario.name}: model ${model}, ${rate.toFixed(1)} req/s (rules and traffic ${scale}× faster)`);

    const phase = async (
      week: string,
      flights: ReplayFlight[],
      phaseChanges: TrafficChange[],
      stopWhen?: (t: AlertTransition[]) => boolean,
    ) => {
      const transitions: AlertTransition[] = [];
      let answered = 0;
      const started = performance.now();
      const controller = new AbortController();
      let watching = true;
      const watcher = (async () => {
        const seen = new Set<string>();
        while (watching) {
          for (const alert of await prometheus!.alerts()) {
            const key = `${alert.labels.alertname}|${alert.state}|${JSON.stringify(whatFired(alert))}`;
            if (alert.state === 'inactive' || seen.has(key)) continue;
            seen.add(key);
            transitions.push({
              alert: alert.labels.alertname,
              labels: whatFired(alert),
              state: alert.state,
              requests: answered,
              seconds: (performance.now() - started) / 1000,
            });
            log(
              `  ${alert.state.padEnd(7)} ${alert.labels.alertname} ${JSON.stringify(whatFired(alert))} after ${answered} requests`,
            );
            if (stopWhen?.(transitions)) controller.abort();
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const summary = await replay({
        url: service.url,
        flights,
        rate,
        feedbackDelayMs,
        signal: controller.signal,
        onProgress: (p) => (answered = p.predictionsAnswered),
        progressEveryMs: 100,
      });
      // Outcomes of the last predictions, and a scrape and an evaluation after them.
      await new Promise((r) => setTimeout(r, feedbackDelayMs + 2500));
      watching = false;
      await watcher;
      const rangeMs = performance.now() - started;
      return {
        week,
        changes: phaseChanges,
        replay: summary,
        transitions,
        psi: await psiOver(prometheus!, options.rules, rangeMs),
        recall: await recallOver(prometheus!, options.rules, rangeMs),
        atBudget: await budgetQualityOver(prometheus!, rangeMs),
      } satisfies PhaseResult;
    };

    log(`baseline: ${baselineFlights.length} requests from ${scenario.baselineWeek}`);
    const baseline = await phase(scenario.baselineWeek, baselineFlights, []);
    log(
      `changed: up to ${changedFlights.length} requests from ${scenario.changedWeek}${changes.length ? ` with ${JSON.stringify(changes)}` : ''}`,
    );
    const firing = (t: AlertTransition[], names: Set<string>) =>
      t.some((x) => x.state === 'firing' && names.has(x.alert));
    const changed = await phase(
      scenario.changedWeek,
      changedFlights,
      changes,
      (t) =>
        // Stop once both kinds fired; natural drift runs on to measure quality by slice.
        firing(t, DRIFT_ALERTS) && firing(t, QUALITY_ALERTS),
    );
    const first = (names: Set<string>) =>
      changed.transitions.find((t) => t.state === 'firing' && names.has(t.alert)) ?? null;
    const drift = first(DRIFT_ALERTS);
    const quality = first(QUALITY_ALERTS);
    return {
      scenario: scenario.name,
      summary: scenario.summary,
      scale,
      rate,
      model,
      baseline,
      changed,
      firstDriftFiring: drift,
      firstQualityFiring: quality,
      caughtFirstBy:
        drift && (!quality || drift.requests <= quality.requests) ? 'drift' : quality ? 'quality' : 'neither',
    };
  } finally {
    await prometheus?.stop();
    await service.stop();
  }
}

function whatFired(alert: PrometheusAlert): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['feature', 'slice', 'version', 'reason']) if (alert.labels[key]) out[key] = alert.labels[key];
  return out;
}

function recordedExpressions(rules: Record<string, RuleFile>): Map<string, string> {
  const map = new Map<string, string>();
  for (const file of Object.values(rules))
    for (const group of file.groups) for (const rule of group.rules) if (rule.record) map.set(rule.record, rule.expr);
  return map;
}

/** The recording rule's PSI, over the phase's range instead of an hour. */
async function psiOver(
  p: PrometheusServer,
  rules: Record<string, RuleFile>,
  rangeMs: number,
): Promise<Record<string, number>> {
  const expr = withRange(inlineRecorded('taxiway:feature_psi:1h', recordedExpressions(rules)), rangeMs);
  const out: Record<string, number> = {};
  for (const s of await p.query(expr)) out[s.metric.feature] = s.value;
  return out;
}

async function recallOver(
  p: PrometheusServer,
  rules: Record<string, RuleFile>,
  rangeMs: number,
): Promise<Record<string, { recall: number; delayed: number }>> {
  const recorded = recordedExpressions(rules);
  const recall = await p.query(withRange(inlineRecorded('taxiway:feedback_recall:ratio6h', recorded), rangeMs));
  const delayed = await p.query(withRange(inlineRecorded('taxiway:feedback_delayed:increase6h', recorded), rangeMs));
  const out: Record<string, { recall: number; delayed: number }> = {};
  for (const s of recall)
    out[s.metric.slice] = {
      recall: s.value,
      delayed: delayed.find((d) => d.metric.slice === s.metric.slice)?.value ?? 0,
    };
  return out;
}

/** Recall@20%, precision@20% and AUC per slice from the outcome-split score histograms over the phase. */
async function budgetQualityOver(
  p: PrometheusServer,
  rangeMs: number,
): Promise<Record<string, { recall: number; precision: number; auc: number; rows: number }>> {
  const samples = await p.query(
    withRange('sum by (slice, delayed, le) (increase(feedback_score_bucket[1h]))', rangeMs),
  );
  const bySlice = new Map<string, { positive: Map<number, number>; negative: Map<number, number> }>();
  for (const s of samples) {
    const entry = bySlice.get(s.metric.slice) ?? { positive: new Map(), negative: new Map() };
    bySlice.set(s.metric.slice, entry);
    const le = s.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.metric.le);
    (s.metric.delayed === 'true' ? entry.positive : entry.negative).set(le, s.value);
  }
  const out: Record<string, { recall: number; precision: number; auc: number; rows: number }> = {};
  for (const [slice, { positive, negative }] of bySlice) {
    const bounds = [...new Set([...positive.keys(), ...negative.keys()])].sort((a, b) => a - b);
    // Cumulative histogram buckets → per-bucket counts.
    const perBucket = (cumulative: Map<number, number>) =>
      bounds.map((b, i) => Math.max(0, (cumulative.get(b) ?? 0) - (i > 0 ? (cumulative.get(bounds[i - 1]) ?? 0) : 0)));
    const q = qualityFromBuckets({ positives: perBucket(positive), negatives: perBucket(negative) });
    out[slice] = { recall: q.recallAtBudget, precision: q.precisionAtBudget, auc: q.auc, rows: q.rows };
  }
  return out;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Markdown lines for the README. */
export function formatScenarioResult(r: ScenarioResult): string {
  const f3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
  const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  const features = [...new Set([...Object.keys(r.baseline.psi), ...Object.keys(r.changed.psi)])].sort();
  const slices = [...new Set([...Object.keys(r.baseline.recall), ...Object.keys(r.changed.recall)])].sort();
  const firings = r.changed.transitions
    .filter((t) => t.state === 'firing')
    .map(
      (t) =>
        `${t.alert}${Object.keys(t.labels).length ? ` ${JSON.stringify(t.labels)}` : ''} after ${t.requests} requests (${t.seconds.toFixed(0)} s)`,
    );
  const falsePositives = r.baseline.transitions.filter((t) => t.state === 'firing').map((t) => t.alert);
  const lines = [
    `**${r.scenario}** — ${r.summary}; model ${r.model}; ${r.rate.toFixed(1)} req/s, rules ${r.scale}× compressed.`,
    '',
    `- baseline (${r.baseline.replay.predictions.requests} requests, week ${r.baseline.week}): alerts firing: ${falsePositives.join(', ') || 'none'}`,
    `- changed (${r.changed.replay.predictions.requests} requests sent, week ${r.changed.week}): ${firings.join('; ') || 'no alert fired'}`,
    `- caught first by: **${r.caughtFirstBy}**${r.firstDriftFiring ? ` (drift after ${r.firstDriftFiring.requests} requests)` : ''}${r.firstQualityFiring ? ` (quality after ${r.firstQualityFiring.requests} requests)` : ''}`,
    '',
    '| feature | PSI baseline | PSI changed |',
    '|---|---:|---:|',
    ...features.map((f) => `| ${f} | ${f3(r.baseline.psi[f])} | ${f3(r.changed.psi[f])} |`),
    '',
    `Flagged (served threshold): ${pct(r.baseline.replay.predictions.flaggedShare)} → ${pct(r.changed.replay.predictions.flaggedShare)} of rows; actually delayed: ${pct(r.baseline.replay.delayedShare)} → ${pct(r.changed.replay.delayedShare)}.`,
    '',
    '| slice | recall at served threshold: baseline (delayed) | changed (delayed) | recall@20% baseline | changed | AUC baseline | changed |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...slices.map(
      (s) =>
        `| ${s} | ${f3(r.baseline.recall[s]?.recall)} (${Math.round(r.baseline.recall[s]?.delayed ?? 0)}) | ${f3(r.changed.recall[s]?.recall)} (${Math.round(r.changed.recall[s]?.delayed ?? 0)}) | ${f3(r.baseline.atBudget?.[s]?.recall)} | ${f3(r.changed.atBudget?.[s]?.recall)} | ${f3(r.baseline.atBudget?.[s]?.auc)} | ${f3(r.changed.atBudget?.[s]?.auc)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
