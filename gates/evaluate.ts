/**
 * The quality gate as a pure function: plain data in (cards, both models' scores on the same
 * evaluation rows, labels, slice names, latency samples, golden reproduction, data figures),
 * a verdict out that lists every check with its figure and threshold. No files, no clock, no
 * ONNX here — `run-gate.ts` gathers the inputs — so every rule is unit-tested on small arrays.
 */
import { pairedBootstrap, type BootstrapOptions, type BootstrapResult } from '../lib/metrics/bootstrap.ts';
import { metricSet } from '../lib/metrics/classification.ts';
import type { MetricSet, ModelCard } from '../lib/registry/card.ts';
import { pairedAucDelong } from './delong.ts';
import type { GatePolicy } from './policy.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';
export type CheckGroup =
  'floor' | 'non-regression' | 'slice' | 'calibration' | 'artifact' | 'latency' | 'schema' | 'golden' | 'data';

export interface GateCheck {
  id: string;
  group: CheckGroup;
  description: string;
  status: CheckStatus;
  /** The measured figure the rule is applied to; null when skipped or not numeric. */
  figure: number | null;
  /** The rule in words, e.g. `≥ 0.6300`, `upper 95% bound ≥ −0.0020`. */
  threshold: string;
  /** What was measured, in a sentence (and why it was skipped). */
  detail: string;
}

export interface GoldenResult {
  input: unknown;
  expected: number;
  actual: number;
}

export interface GateEvaluation {
  window: { start: string; end: string };
  /** sha256 of the data file the evaluation rows came from. */
  dataSha256: string;
  labels: Uint8Array;
  candidateScores: ArrayLike<number>;
  /** null when there is no champion (the first model). */
  championScores: ArrayLike<number> | null;
  /** Slice names of each evaluation row (`origin=ORD`, `hour=06-11`, …). */
  slices: readonly (readonly string[])[];
  /** Single-row inference times of the candidate in ONNX Runtime, milliseconds (wall clock). */
  latencyMs: readonly number[];
  /**
   * The process's CPU time over each of the same calls (user + system, every thread), milliseconds.
   * When given, the latency check gates it: waiting for a core is the neighbours' cost, not the model's.
   */
  latencyCpuMs?: readonly number[];
  golden: readonly GoldenResult[];
  schema: {
    /** Ways the candidate does not fit the feature contract the service feeds. */
    contractProblems: readonly string[];
    /** Input differences from the champion; null when there is no champion. */
    championDifferences: readonly string[] | null;
  };
  /** Rows with a missing or malformed field, and rows whose categories the candidate never saw in training. */
  data: { nullRows: number; unseenAirportRows: number; unseenRouteRows: number };
  /**
   * The paired bootstraps, when the caller already ran them (run-gate.ts runs them in worker
   * threads) with the policy's iterations and seed on these labels and scores; computed here otherwise.
   */
  bootstrap?: { auc: BootstrapResult; recallAtBudget: BootstrapResult } | null;
  /** compareSlices(this evaluation, policy), when the caller already computed it (same reason). */
  sliceComparisons?: SliceComparison[];
}

export interface GateInput {
  candidate: ModelCard;
  champion: ModelCard | null;
  policy: GatePolicy;
  evaluation: GateEvaluation;
}

export interface SliceComparison {
  slice: string;
  rows: number;
  positives: number;
  candidate: { auc: number; recallAtBudget: number };
  champion: { auc: number; recallAtBudget: number } | null;
  /** candidate − champion AUC; null without a champion. */
  deltaAuc: number | null;
  /** 95% interval of deltaAuc (DeLong); null without a champion. */
  ci: { lo: number; hi: number } | null;
  /** Large enough (policy.slices.minRows) to be gated. */
  gated: boolean;
}

/** Slices with at least this many rows are reported (smaller ones are noise); gating needs policy.slices.minRows. */
export const SLICE_REPORT_MIN_ROWS = 200;

/** Per-slice figures of both models on the same rows, sorted by slice name. */
export function compareSlices(e: GateEvaluation, policy: GatePolicy, hasChampion: boolean): SliceComparison[] {
  const members = new Map<string, number[]>();
  for (let row = 0; row < e.labels.length; row++) {
    for (const name of e.slices[row]) {
      let rows = members.get(name);
      if (!rows) members.set(name, (rows = []));
      if (rows[rows.length - 1] !== row) rows.push(row);
    }
  }
  const names = [...members.keys()].filter(
    (name) => members.get(name)!.length >= Math.min(SLICE_REPORT_MIN_ROWS, policy.slices.minRows),
  );
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((slice) => {
    const rows = members.get(slice)!;
    const labels = new Uint8Array(rows.length);
    const cand = new Float64Array(rows.length);
    const champ = new Float64Array(hasChampion ? rows.length : 0);
    for (let i = 0; i < rows.length; i++) {
      labels[i] = e.labels[rows[i]];
      cand[i] = e.candidateScores[rows[i]];
      if (hasChampion) champ[i] = e.championScores![rows[i]];
    }
    const c = metricSet(labels, cand, policy.alertBudget);
    const gated = rows.length >= policy.slices.minRows && Number.isFinite(c.auc);
    if (!hasChampion) {
      return {
        slice,
        rows: c.rows,
        positives: c.positives,
        candidate: { auc: c.auc, recallAtBudget: c.recallAtBudget },
        champion: null,
        deltaAuc: null,
        ci: null,
        gated,
      };
    }
    const k = metricSet(labels, champ, policy.alertBudget);
    const test = gated ? pairedAucDelong(labels, cand, champ) : null;
    return {
      slice,
      rows: c.rows,
      positives: c.positives,
      candidate: { auc: c.auc, recallAtBudget: c.recallAtBudget },
      champion: { auc: k.auc, recallAtBudget: k.recallAtBudget },
      deltaAuc: c.auc - k.auc,
      ci: test ? { lo: test.lo, hi: test.hi } : null,
      gated,
    };
  });
}

export interface LatencySummary {
  calls: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 of each round of consecutive calls (policy.latency.rounds), in order; absent in evidence from before rounds. */
  roundP99Ms?: number[];
  /** The lowest of roundP99Ms: the figure the latency check gates. */
  bestRoundP99Ms?: number;
}

export interface GateVerdict {
  verdict: 'pass' | 'fail';
  summary: { passed: number; failed: number; skipped: number; total: number };
  checks: GateCheck[];
  metrics: { candidate: MetricSet; champion: MetricSet | null };
  bootstrap: { auc: BootstrapResult | null; recallAtBudget: BootstrapResult | null };
  slices: SliceComparison[];
  latency: LatencySummary;
  /** The same calls' CPU time, when measured: what the latency check gates. */
  latencyCpu?: LatencySummary;
  golden: { examples: number; maxAbsDifference: number };
  data: {
    rows: number;
    positives: number;
    labelRate: number;
    nullShare: number;
    unseenAirportShare: number;
    unseenRouteShare: number;
    trainRows: number;
  };
}

/** The bootstrap settings the policy asks for (also used by callers that run it elsewhere). */
export function bootstrapOptions(policy: GatePolicy, metric: 'auc' | 'recallAtBudget'): BootstrapOptions {
  return {
    metric,
    iterations: policy.nonRegression.iterations,
    seed: policy.nonRegression.seed,
    budget: policy.alertBudget,
  };
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** The rounds' p99s as the report and the check's detail print them. */
export function roundP99Text(summary: LatencySummary, separator = ', '): string {
  return (summary.roundP99Ms ?? []).map((x) => x.toFixed(3)).join(separator);
}

export function latencySummary(samples: readonly number[], rounds = 1): LatencySummary {
  const mean = samples.length === 0 ? Number.NaN : samples.reduce((s, x) => s + x, 0) / samples.length;
  const size = Math.ceil(samples.length / rounds);
  const roundP99Ms =
    samples.length === 0
      ? []
      : Array.from({ length: rounds }, (_, r) => percentile(samples.slice(r * size, (r + 1) * size), 0.99)).filter(
          Number.isFinite,
        );
  return {
    roundP99Ms,
    bestRoundP99Ms: roundP99Ms.length === 0 ? Number.NaN : Math.min(...roundP99Ms),
    calls: samples.length,
    meanMs: mean,
    p50Ms: percentile(samples, 0.5),
    p90Ms: percentile(samples, 0.9),
    p99Ms: percentile(samples, 0.99),
    maxMs: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}` : String(x));
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const budgetPct = (x: number) => `${Math.round(x * 100)}%`;

function status(ok: boolean): CheckStatus {
  return ok ? 'pass' : 'fail';
}

/** Runs every check; never throws on a bad model — a bad model is a failing verdict. */
export function evaluateGate(input: GateInput): GateVerdict {
  const { candidate, champion, policy, evaluation: e } = input;
  const n = e.labels.length;
  if (e.candidateScores.length !== n)
    throw new Error(`evaluation: ${n} labels but ${e.candidateScores.length} candidate scores`);
  if (e.championScores && e.championScores.length !== n)
    throw new Error(`evaluation: ${n} labels but ${e.championScores.length} champion scores`);
  if (e.slices.length !== n) throw new Error(`evaluation: ${n} labels but slice names for ${e.slices.length} rows`);
  if (champion && !e.championScores) throw new Error('evaluation: a champion card is given but no champion scores');
  const budget = policy.alertBudget;
  const hasChampion = champion !== null && e.championScores !== null;
  const checks: GateCheck[] = [];
  const add = (check: GateCheck) => checks.push(check);
  const skip = (id: string, group: CheckGroup, description: string, threshold: string, why: string) =>
    add({ id, group, description, status: 'skip', figure: null, threshold, detail: why });

  const candidateMetrics = metricSet(e.labels, e.candidateScores, budget);
  const championMetrics = hasChampion ? metricSet(e.labels, e.championScores!, budget) : null;
  const vsChampion = (c: number, k: number | undefined) => (k === undefined ? '' : ` (champion ${f4(k)})`);

  // Absolute floors: a candidate must be useful on its own, whatever the champion does.
  add({
    id: 'floor.auc',
    group: 'floor',
    description: 'Evaluation AUC is at least the floor',
    status: status(candidateMetrics.auc >= policy.floors.auc),
    figure: candidateMetrics.auc,
    threshold: `≥ ${f4(policy.floors.auc)}`,
    detail: `AUC ${f4(candidateMetrics.auc)}${vsChampion(candidateMetrics.auc, championMetrics?.auc)} on ${n.toLocaleString('en-US')} rows`,
  });
  add({
    id: 'floor.recall-at-budget',
    group: 'floor',
    description: `Recall of delayed flights within a ${budgetPct(budget)} alert budget is at least the floor`,
    status: status(candidateMetrics.recallAtBudget >= policy.floors.recallAtBudget),
    figure: candidateMetrics.recallAtBudget,
    threshold: `≥ ${f4(policy.floors.recallAtBudget)}`,
    detail: `recall ${f4(candidateMetrics.recallAtBudget)}, precision ${f4(candidateMetrics.precisionAtBudget)}${vsChampion(candidateMetrics.recallAtBudget, championMetrics?.recallAtBudget)}`,
  });

  // Non-regression: paired bootstrap on the same rows; fail only when significantly worse by more than the tolerance.
  const bootstrap: GateVerdict['bootstrap'] = { auc: null, recallAtBudget: null };
  for (const [metric, id, label] of [
    ['auc', 'non-regression.auc', 'AUC'],
    ['recallAtBudget', 'non-regression.recall-at-budget', `Recall@${budgetPct(budget)}`],
  ] as const) {
    const tolerance = policy.nonRegression[metric].tolerance;
    const threshold = `upper 95% bound of Δ ≥ −${f4(tolerance)}`;
    const description = `${label} is not significantly worse than the champion's (paired bootstrap, ${policy.nonRegression.iterations} resamples)`;
    if (!hasChampion) {
      skip(id, 'non-regression', description, threshold, 'no champion yet: this is the first model');
      continue;
    }
    const result =
      e.bootstrap?.[metric] ??
      pairedBootstrap(e.labels, e.candidateScores, e.championScores!, bootstrapOptions(policy, metric));
    if (result.metric !== metric) throw new Error(`evaluation.bootstrap.${metric} holds a ${result.metric} bootstrap`);
    bootstrap[metric] = result;
    add({
      id,
      group: 'non-regression',
      description,
      status: status(!(result.hi < -tolerance)),
      figure: result.hi,
      threshold,
      detail: `Δ ${signed(result.delta)} (candidate ${f4(result.candidate)} − champion ${f4(result.champion)}), 95% CI [${signed(result.lo)}, ${signed(result.hi)}]`,
    });
  }

  // Slices: the same rows split by hub, hour band and distance band; DeLong's paired test per slice.
  const slices = e.sliceComparisons ?? compareSlices(e, policy, hasChampion);
  const sliceThreshold = `upper 95% bound of Δ AUC ≥ −${f4(policy.slices.aucTolerance)} (DeLong)`;
  const sliceDescription = 'No slice is significantly worse than the champion by more than the tolerance';
  if (!hasChampion) {
    skip('slice.auc', 'slice', sliceDescription, sliceThreshold, 'no champion yet: this is the first model');
  } else {
    const gated = slices.filter((s) => s.gated && s.ci !== null && Number.isFinite(s.ci.hi));
    if (gated.length === 0)
      skip('slice.auc', 'slice', sliceDescription, sliceThreshold, `no slice has ${policy.slices.minRows} rows`);
    for (const s of gated) {
      add({
        id: `slice.auc[${s.slice}]`,
        group: 'slice',
        description: `AUC on ${s.slice} is not significantly worse than the champion's`,
        status: status(!(s.ci!.hi < -policy.slices.aucTolerance)),
        figure: s.ci!.hi,
        threshold: sliceThreshold,
        detail: `Δ ${signed(s.deltaAuc!)} (${f4(s.candidate.auc)} vs champion ${f4(s.champion!.auc)}), 95% CI [${signed(s.ci!.lo)}, ${signed(s.ci!.hi)}] on ${s.rows.toLocaleString('en-US')} rows`,
      });
    }
  }

  add({
    id: 'calibration.ece',
    group: 'calibration',
    description: 'Expected calibration error (10 bins) is at most the maximum',
    status: status(candidateMetrics.ece <= policy.calibration.maxEce),
    figure: candidateMetrics.ece,
    threshold: `≤ ${f4(policy.calibration.maxEce)}`,
    detail: `ECE ${f4(candidateMetrics.ece)}${vsChampion(candidateMetrics.ece, championMetrics?.ece)}, log loss ${f4(candidateMetrics.logLoss)}, Brier ${f4(candidateMetrics.brier)}`,
  });

  const eceIncrease = championMetrics ? candidateMetrics.ece - championMetrics.ece : null;
  if (eceIncrease === null) {
    skip(
      'calibration.ece-vs-champion',
      'calibration',
      "Calibration is not worse than the champion's on the same rows",
      `Δ ECE ≤ +${f4(policy.calibration.maxEceIncrease)}`,
      'no champion yet: this is the first model',
    );
  } else {
    add({
      id: 'calibration.ece-vs-champion',
      group: 'calibration',
      description: "Calibration is not worse than the champion's on the same rows",
      status: status(eceIncrease <= policy.calibration.maxEceIncrease),
      figure: eceIncrease,
      threshold: `Δ ECE ≤ +${f4(policy.calibration.maxEceIncrease)}`,
      detail: `ECE ${f4(candidateMetrics.ece)} vs champion ${f4(championMetrics!.ece)}`,
    });
  }

  add({
    id: 'artifact.bytes',
    group: 'artifact',
    description: 'model.onnx is no larger than the maximum',
    status: status(candidate.artifact.bytes <= policy.artifact.maxBytes),
    figure: candidate.artifact.bytes,
    threshold: `≤ ${policy.artifact.maxBytes.toLocaleString('en-US')} bytes`,
    detail: `${(candidate.artifact.bytes / 1024 / 1024).toFixed(2)} MiB, ${candidate.trees} trees${champion ? ` (champion ${(champion.artifact.bytes / 1024 / 1024).toFixed(2)} MiB)` : ''}`,
  });

  const latency = latencySummary(e.latencyMs, policy.latency.rounds);
  const latencyCpu = e.latencyCpuMs ? latencySummary(e.latencyCpuMs, policy.latency.rounds) : undefined;
  const gated = latencyCpu ?? latency;
  const gatedP99 = gated.bestRoundP99Ms ?? Number.NaN;
  add({
    id: 'latency.p99',
    group: 'latency',
    description: latencyCpu
      ? "p99 single-row inference CPU time in ONNX Runtime (the best round's) is at most the maximum"
      : "p99 single-row inference time in ONNX Runtime (the best round's) is at most the maximum",
    status: status(gated.calls >= Math.min(100, policy.latency.calls) && gatedP99 <= policy.latency.maxP99Ms),
    figure: gatedP99,
    threshold: `≤ ${policy.latency.maxP99Ms} ms`,
    detail:
      gated.calls === 0
        ? 'no latency samples'
        : `${latencyCpu ? 'CPU time ' : ''}p99 by round of ${Math.ceil(gated.calls / policy.latency.rounds)} calls: ${roundP99Text(gated)} ms; ` +
          `wall clock over all ${latency.calls} calls p50 ${latency.p50Ms.toFixed(3)} ms, p99 ${latency.p99Ms.toFixed(3)} ms, max ${latency.maxMs.toFixed(3)} ms`,
  });

  const contract = e.schema.contractProblems;
  add({
    id: 'schema.contract',
    group: 'schema',
    description: 'The artifact takes exactly the inputs the feature module produces',
    status: status(contract.length === 0),
    figure: contract.length,
    threshold: '0 problems',
    detail: contract.length === 0 ? 'inputs and outputs fit the feature contract' : contract.join('; '),
  });
  if (e.schema.championDifferences === null) {
    skip(
      'schema.champion',
      'schema',
      "Inputs are compatible with the champion's",
      '0 differences',
      'no champion yet: this is the first model',
    );
  } else {
    const diff = e.schema.championDifferences;
    add({
      id: 'schema.champion',
      group: 'schema',
      description: "Inputs are compatible with the champion's (callers need no change)",
      status: status(diff.length === 0),
      figure: diff.length,
      threshold: '0 differences',
      detail: diff.length === 0 ? 'same input names, types and shapes' : diff.join('; '),
    });
  }

  let maxGolden = 0;
  for (const g of e.golden)
    maxGolden = Math.max(
      maxGolden,
      Number.isFinite(g.actual) ? Math.abs(g.actual - g.expected) : Number.POSITIVE_INFINITY,
    );
  add({
    id: 'golden.reproduced',
    group: 'golden',
    description: "The artifact reproduces the card's golden outputs",
    status: status(e.golden.length > 0 && maxGolden <= policy.golden.tolerance),
    figure: e.golden.length > 0 ? maxGolden : null,
    threshold: `max |Δ| ≤ ${policy.golden.tolerance}`,
    detail:
      e.golden.length === 0
        ? 'the card has no golden examples'
        : `${e.golden.length} examples, max |Δ| ${maxGolden.toExponential(2)}`,
  });

  // Data checks: is this evaluation (and the candidate's training) trustworthy at all?
  const positives = candidateMetrics.positives;
  const labelRate = n > 0 ? positives / n : Number.NaN;
  const share = (rows: number) => (n > 0 ? rows / n : Number.NaN);
  const d = policy.data;
  add({
    id: 'data.rows',
    group: 'data',
    description: 'The evaluation window has enough flights',
    status: status(n >= d.minRows),
    figure: n,
    threshold: `≥ ${d.minRows.toLocaleString('en-US')}`,
    detail: `${n.toLocaleString('en-US')} flights in ${e.window.start} → ${e.window.end}`,
  });
  add({
    id: 'data.train-rows',
    group: 'data',
    description: 'The candidate was trained on enough flights',
    status: status(candidate.data.train.rows >= d.minTrainRows),
    figure: candidate.data.train.rows,
    threshold: `≥ ${d.minTrainRows.toLocaleString('en-US')}`,
    detail: `${candidate.data.train.rows.toLocaleString('en-US')} flights in ${candidate.data.train.start} → ${candidate.data.train.end}`,
  });
  add({
    id: 'data.label-rate',
    group: 'data',
    description: 'The share of delayed flights is in the expected range',
    status: status(labelRate >= d.labelRate.min && labelRate <= d.labelRate.max),
    figure: labelRate,
    threshold: `${pct(d.labelRate.min)} – ${pct(d.labelRate.max)}`,
    detail: `${pct(labelRate)} delayed (${positives.toLocaleString('en-US')} of ${n.toLocaleString('en-US')})`,
  });
  add({
    id: 'data.nulls',
    group: 'data',
    description: 'Rows with a missing or malformed field',
    status: status(share(e.data.nullRows) <= d.maxNullShare),
    figure: share(e.data.nullRows),
    threshold: `≤ ${pct(d.maxNullShare)}`,
    detail: `${e.data.nullRows.toLocaleString('en-US')} rows`,
  });
  add({
    id: 'data.unseen-airports',
    group: 'data',
    description: 'Flights from or to an airport the candidate never saw in training',
    status: status(share(e.data.unseenAirportRows) <= d.maxUnseenAirportShare),
    figure: share(e.data.unseenAirportRows),
    threshold: `≤ ${pct(d.maxUnseenAirportShare)}`,
    detail: `${e.data.unseenAirportRows.toLocaleString('en-US')} rows (${pct(share(e.data.unseenAirportRows))})`,
  });
  add({
    id: 'data.unseen-routes',
    group: 'data',
    description: 'Flights on a route the candidate never saw in training',
    status: status(share(e.data.unseenRouteRows) <= d.maxUnseenRouteShare),
    figure: share(e.data.unseenRouteRows),
    threshold: `≤ ${pct(d.maxUnseenRouteShare)}`,
    detail: `${e.data.unseenRouteRows.toLocaleString('en-US')} rows (${pct(share(e.data.unseenRouteRows))})`,
  });
  const sameData = candidate.data.sha256 === e.dataSha256 && (!champion || champion.data.sha256 === e.dataSha256);
  add({
    id: 'data.source',
    group: 'data',
    description: 'Candidate, champion and evaluation use the same data file',
    status: status(sameData),
    figure: null,
    threshold: 'same sha256',
    detail: sameData
      ? `sha256 ${e.dataSha256.slice(0, 12)}…`
      : `evaluation ${e.dataSha256.slice(0, 12)}…, candidate ${candidate.data.sha256.slice(0, 12)}…${champion ? `, champion ${champion.data.sha256.slice(0, 12)}…` : ''}`,
  });
  // Neither model may have trained or early-stopped on the rows it is judged on.
  const seenUntil = [candidate, champion]
    .filter((c): c is ModelCard => c !== null)
    .map((c) => ({ version: c.version, end: c.data.validation.end }));
  const leaking = seenUntil.filter((s) => Date.parse(`${s.end}Z`) > Date.parse(`${e.window.start}Z`));
  add({
    id: 'data.evaluation-unseen',
    group: 'data',
    description: 'Neither model trained on the evaluation window',
    status: status(leaking.length === 0),
    figure: leaking.length,
    threshold: '0 models',
    detail:
      leaking.length === 0
        ? `training and validation data end by ${e.window.start} for ${seenUntil.map((s) => s.version).join(' and ')}`
        : leaking
            .map((s) => `${s.version} saw data until ${s.end}, after the window starts (${e.window.start})`)
            .join('; '),
  });

  const failed = checks.filter((c) => c.status === 'fail').length;
  const skipped = checks.filter((c) => c.status === 'skip').length;
  return {
    verdict: failed === 0 ? 'pass' : 'fail',
    summary: { passed: checks.length - failed - skipped, failed, skipped, total: checks.length },
    checks,
    metrics: { candidate: candidateMetrics, champion: championMetrics },
    bootstrap,
    slices,
    latency,
    ...(latencyCpu ? { latencyCpu } : {}),
    golden: { examples: e.golden.length, maxAbsDifference: maxGolden },
    data: {
      rows: n,
      positives,
      labelRate,
      nullShare: share(e.data.nullRows),
      unseenAirportShare: share(e.data.unseenAirportRows),
      unseenRouteShare: share(e.data.unseenRouteRows),
      trainRows: candidate.data.train.rows,
    },
  };
}
