/**
 * Live-traffic evidence for a progressive release step, read from the service's /metrics (one
 * scrape per replica; counters and histogram buckets add up across replicas, so the figures are the
 * fleet's): how often the challenger agrees with the champion (the same side of each one's
 * threshold, shadow mode), how far its scores are from the served ones (mean and p95 |Δ|), the time
 * per scoring call and per row of each model, and — once outcomes come back as feedback — AUC and
 * recall at the 20% budget of each model over the flights it answered.
 *
 * The bars a step must clear are in `STEP_POLICY`; `stepBars` says which pass, naming the figure
 * and the bar, and the markdown goes on the step's pull request. Percentiles are interpolated inside
 * the service's histogram buckets (2.5× wide for scoring calls), so latency ratios are coarse.
 */
import { histogramQuantile, qualityFromBuckets, type BucketedQuality } from '../metrics/bucketed.ts';
import { errorMessage } from '../util/errors.ts';
import type { ReleaseStep } from '../release/challenger-step.ts';

export interface StepPolicy {
  /** Canary step: rows the challenger scored in shadow. */
  minShadowRows: number;
  /** Canary step: share of shadow rows whose flag equals the served flag. */
  minAgreement: number;
  /** Canary and champion steps: challenger median scoring call ≤ this × the champion's. */
  maxLatencyRatio: number;
  /** Champion step: rows the challenger answered in canary. */
  minCanaryRows: number;
  /** Champion step: outcomes (feedback) joined to the challenger's answers. */
  minFeedbackRows: number;
  /** Champion step: challenger AUC on its feedback ≥ champion AUC on its feedback − this. */
  maxAucDrop: number;
}

export const STEP_POLICY: StepPolicy = {
  minShadowRows: 500,
  minAgreement: 0.85,
  maxLatencyRatio: 1.5,
  minCanaryRows: 500,
  minFeedbackRows: 200,
  maxAucDrop: 0.02,
};

export interface Latency {
  /** Scoring calls (features + ONNX Runtime) observed. */
  calls: number;
  p50Ms: number;
  p95Ms: number;
  /** Total scoring time over the rows scored in that role. */
  perRowMs: number;
}

export interface ModelTraffic {
  version: string;
  /** Rows this model answered (predictions_total). */
  servedRows: number;
  served: Latency | null;
  /** Its calls in shadow mode (the challenger only). */
  shadow: Latency | null;
  /** Quality over the flights it answered whose outcome came back (feedback_score, slice all). */
  feedback: BucketedQuality | null;
}

export interface ShadowComparison {
  rows: number;
  agreement: number;
  meanAbsDifference: number;
  p95AbsDifference: number;
  /** Rows the service did not shadow-score (its shadow queue was full), all versions. */
  skipped: number;
  /** Rows left out by SHADOW_SAMPLE_PERCENT, all versions (0 when every request is shadow-scored). */
  unsampled: number;
}

export interface LiveEvidence {
  /** What was scraped (URLs), one per replica. */
  sources: string[];
  scrapedAt: string;
  champion: ModelTraffic;
  challenger: ModelTraffic | null;
  shadow: ShadowComparison | null;
}

interface Histogram {
  upper: number[];
  /** Per bucket (not cumulative), the last above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** One sample line of a text exposition: `name{label="value",…} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The sample lines of a scrape. Read by hand rather than with parse-prometheus-text-format, whose
 * histogram reader (1.1.1) merges every labelled series of a family into one and drops their labels,
 * sums and counts — and a release step needs histograms by version.
 */
export function exposedSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL_PAIR))
      labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

/** Samples of a series over every scrape, whose labels include `labels`. */
function samples(scrapes: readonly Sample[][], name: string, labels: Record<string, string>): Sample[] {
  return scrapes.flatMap((scrape) =>
    scrape.filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v)),
  );
}

function counter(scrapes: readonly Sample[][], name: string, labels: Record<string, string> = {}): number {
  return samples(scrapes, name, labels).reduce((total, m) => total + m.value, 0);
}

/** A histogram summed over replicas (and label values not named); null when nothing was observed. */
function histogram(scrapes: readonly Sample[][], name: string, labels: Record<string, string>): Histogram | null {
  const count = counter(scrapes, `${name}_count`, labels);
  if (!(count > 0)) return null;
  const cumulative = new Map<number, number>();
  for (const m of samples(scrapes, `${name}_bucket`, labels)) {
    const le = Number(m.labels.le);
    if (Number.isFinite(le)) cumulative.set(le, (cumulative.get(le) ?? 0) + m.value);
  }
  const upper = [...cumulative.keys()].sort((a, b) => a - b);
  const counts: number[] = [];
  let below = 0;
  for (const le of upper) {
    counts.push(cumulative.get(le)! - below);
    below = cumulative.get(le)!;
  }
  counts.push(count - below);
  return { upper, counts, sum: counter(scrapes, `${name}_sum`, labels), count };
}

function latency(h: Histogram | null, rows: number): Latency | null {
  if (!h) return null;
  return {
    calls: h.count,
    p50Ms: histogramQuantile(h.upper, h.counts, 0.5) * 1000,
    p95Ms: histogramQuantile(h.upper, h.counts, 0.95) * 1000,
    perRowMs: rows > 0 ? (h.sum / rows) * 1000 : Number.NaN,
  };
}

function feedbackQuality(scrapes: readonly Sample[][], version: string): BucketedQuality | null {
  const positives = histogram(scrapes, 'feedback_score', { version, slice: 'all', delayed: 'true' });
  const negatives = histogram(scrapes, 'feedback_score', { version, slice: 'all', delayed: 'false' });
  if (!positives && !negatives) return null;
  const size = (positives ?? negatives)!.counts.length;
  const zeros = new Array<number>(size).fill(0);
  return qualityFromBuckets({ positives: positives?.counts ?? zeros, negatives: negatives?.counts ?? zeros });
}

function traffic(scrapes: readonly Sample[][], version: string, shadowRows: number): ModelTraffic {
  const servedRows = counter(scrapes, 'predictions_total', { version });
  return {
    version,
    servedRows,
    served: latency(histogram(scrapes, 'model_inference_duration_seconds', { version, role: 'served' }), servedRows),
    shadow: latency(histogram(scrapes, 'model_inference_duration_seconds', { version, role: 'shadow' }), shadowRows),
    feedback: feedbackQuality(scrapes, version),
  };
}

/** The evidence in a set of scrapes (one text exposition per replica). */
export function liveEvidence(
  texts: readonly string[],
  versions: { champion: string; challenger: string | null },
  meta: { sources: string[]; scrapedAt: string },
): LiveEvidence {
  const scrapes = texts.map((text) => exposedSamples(text));
  const challenger = versions.challenger;
  let shadow: ShadowComparison | null = null;
  let shadowRows = 0;
  if (challenger) {
    shadowRows = counter(scrapes, 'shadow_predictions_total', { version: challenger });
    const difference = histogram(scrapes, 'shadow_score_difference', { version: challenger });
    if (shadowRows > 0) {
      const disagreements = counter(scrapes, 'shadow_flag_disagreements_total', { version: challenger });
      shadow = {
        rows: shadowRows,
        agreement: 1 - disagreements / shadowRows,
        meanAbsDifference: difference ? difference.sum / difference.count : Number.NaN,
        p95AbsDifference: difference ? histogramQuantile(difference.upper, difference.counts, 0.95) : Number.NaN,
        skipped: counter(scrapes, 'shadow_skipped_total'),
        unsampled: counter(scrapes, 'shadow_unsampled_total'),
      };
    }
  }
  return {
    ...meta,
    champion: traffic(scrapes, versions.champion, 0),
    challenger: challenger ? traffic(scrapes, challenger, shadowRows) : null,
    shadow,
  };
}

/** Scrapes every replica's /metrics (or a Prometheus federation endpoint) and reads the evidence. */
export async function collectLiveEvidence(options: {
  metricsUrls: readonly string[];
  versions: { champion: string; challenger: string | null };
  fetch?: typeof fetch;
  now?: () => Date;
}): Promise<LiveEvidence> {
  const get = options.fetch ?? fetch;
  if (options.metricsUrls.length === 0) throw new Error('no metrics URL given: name each replica’s /metrics');
  const texts = await Promise.all(
    options.metricsUrls.map(async (url) => {
      let response: Response;
      try {
        response = await get(url, { headers: { accept: 'text/plain' }, signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        throw new Error(`cannot scrape ${url}: ${errorMessage(error)}`);
      }
      if (!response.ok) throw new Error(`cannot scrape ${url}: HTTP ${response.status}`);
      return response.text();
    }),
  );
  return liveEvidence(texts, options.versions, {
    sources: [...options.metricsUrls],
    scrapedAt: (options.now ?? (() => new Date()))().toISOString(),
  });
}

export interface Bar {
  id: string;
  pass: boolean;
  /** The figure and the bar, e.g. `agreement 0.912 ≥ 0.85`. */
  detail: string;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const ms = (x: number) => (Number.isFinite(x) ? `${x < 1 ? x.toFixed(3) : x.toFixed(2)} ms` : 'n/a');

/**
 * The challenger's median scoring call against the champion's served one. The median, not the mean
 * per row: one descheduled call on a busy machine is a 30 ms spike that moves a mean by half.
 */
function latencyBar(
  id: string,
  challenger: Latency | null,
  champion: Latency | null,
  policy: StepPolicy,
  role: string,
): Bar {
  if (!challenger || !champion || !Number.isFinite(challenger.p50Ms) || !Number.isFinite(champion.p50Ms))
    return {
      id,
      pass: false,
      detail: `no ${role} scoring calls of the challenger or served calls of the champion yet`,
    };
  const ratio = challenger.p50Ms / champion.p50Ms;
  return {
    id,
    pass: ratio <= policy.maxLatencyRatio,
    detail: `challenger p50 ${ms(challenger.p50Ms)} per call (${role}) vs champion ${ms(champion.p50Ms)}: ${f3(ratio)}× ≤ ${policy.maxLatencyRatio}×`,
  };
}

/** The bars a step must clear with this evidence (the shadow step has none: the challenger has not run yet). */
export function stepBars(step: ReleaseStep, e: LiveEvidence, policy: StepPolicy = STEP_POLICY): Bar[] {
  if (step === 'shadow') return [];
  const bars: Bar[] = [];
  const c = e.challenger;
  if (step === 'canary') {
    const s = e.shadow;
    bars.push({
      id: 'shadow.rows',
      pass: (s?.rows ?? 0) >= policy.minShadowRows,
      detail: `${s?.rows ?? 0} rows scored in shadow ≥ ${policy.minShadowRows}`,
    });
    bars.push({
      id: 'shadow.agreement',
      pass: s !== null && s.agreement >= policy.minAgreement,
      detail: `agreement ${s ? f3(s.agreement) : 'n/a'} ≥ ${policy.minAgreement}`,
    });
    // No latency bar in shadow: shadow batches wait to fill (SHADOW_BATCH_WAIT_MS) and served ones do
    // not, so their calls are not comparable; the table shows both, and the canary's served calls
    // (batched alike) are gated at the next step. The gate's CPU-time p99 already bars a slow artifact.
    return bars;
  }
  bars.push({
    id: 'canary.rows',
    pass: (c?.servedRows ?? 0) >= policy.minCanaryRows,
    detail: `${c?.servedRows ?? 0} rows answered in canary ≥ ${policy.minCanaryRows}`,
  });
  bars.push(latencyBar('canary.latency', c?.served ?? null, e.champion.served, policy, 'served'));
  const mine = c?.feedback ?? null;
  const theirs = e.champion.feedback;
  const rows = mine?.rows ?? 0;
  if (rows < policy.minFeedbackRows || !theirs) {
    bars.push({
      id: 'canary.feedback',
      pass: false,
      detail: `${rows} outcomes joined to the challenger's answers (need ${policy.minFeedbackRows}) and ${theirs?.rows ?? 0} to the champion's`,
    });
  } else {
    bars.push({
      id: 'canary.auc',
      pass: mine!.auc >= theirs.auc - policy.maxAucDrop,
      detail: `AUC ${f4(mine!.auc)} on ${rows} outcomes ≥ champion ${f4(theirs.auc)} on ${theirs.rows} − ${policy.maxAucDrop}`,
    });
  }
  return bars;
}

function latencyCells(l: Latency | null): string {
  return l ? `${l.calls} | ${ms(l.p50Ms)} | ${ms(l.p95Ms)} | ${ms(l.perRowMs)}` : '— | — | — | —';
}

/** The pull request comment: the figures, the bars and where they came from. */
export function evidenceMarkdown(input: {
  step: ReleaseStep;
  evidence: LiveEvidence;
  bars: Bar[];
  share?: number;
}): string {
  const { evidence: e, bars } = input;
  const c = e.challenger;
  const passed = bars.every((b) => b.pass);
  const title =
    bars.length === 0
      ? `## Release evidence: step ${input.step} (baseline; the challenger has not run yet)`
      : `## ${passed ? '✅' : '❌'} Release evidence: step ${input.step} ${passed ? 'PASS' : 'NOT YET'}`;
  const lines = [title, ''];
  if (bars.length > 0) {
    lines.push(...bars.map((b) => `- ${b.pass ? '✅' : '❌'} \`${b.id}\`: ${b.detail}`), '');
  }
  if (e.shadow) {
    const s = e.shadow;
    lines.push(
      `### Shadow: challenger \`${c!.version}\` on the champion's traffic`,
      '',
      '| rows | agreement (same flag) | mean \\|Δ\\| | p95 \\|Δ\\| | rows skipped (queue full) | rows not sampled (`SHADOW_SAMPLE_PERCENT`) |',
      '|---:|---:|---:|---:|---:|---:|',
      `| ${s.rows} | ${f3(s.agreement)} | ${f4(s.meanAbsDifference)} | ${f4(s.p95AbsDifference)} | ${s.skipped} | ${s.unsampled} |`,
      '',
    );
  }
  lines.push(
    '### Latency of one scoring call (features + ONNX Runtime)',
    '',
    '| model | role | calls | p50 | p95 | per row |',
    '|---|---|---:|---:|---:|---:|',
    `| champion \`${e.champion.version}\` | served | ${latencyCells(e.champion.served)} |`,
  );
  if (c) {
    lines.push(`| challenger \`${c.version}\` | shadow | ${latencyCells(c.shadow)} |`);
    lines.push(`| challenger \`${c.version}\` | served (canary) | ${latencyCells(c.served)} |`);
  }
  lines.push(
    '',
    '### Quality on the flights each model answered, from feedback',
    '',
    '| model | rows answered | outcomes | AUC | recall@20% | precision@20% |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const [who, t] of [['champion', e.champion], ...(c ? [['challenger', c] as const] : [])] as const) {
    const q = t.feedback;
    lines.push(
      `| ${who} \`${t.version}\` | ${t.servedRows} | ${q?.rows ?? 0} | ${q ? f4(q.auc) : '—'} | ${q ? f4(q.recallAtBudget) : '—'} | ${q ? f4(q.precisionAtBudget) : '—'} |`,
    );
  }
  lines.push(
    '',
    `_Scraped ${e.scrapedAt} from ${e.sources.length} replica${e.sources.length === 1 ? '' : 's'} (counters summed): ${e.sources.map((s) => `\`${s}\``).join(', ')}. Counters run since each replica started; in canary the two models answer disjoint sticky shares of the same stream. Percentiles are interpolated within histogram buckets._`,
  );
  return lines.join('\n');
}

/** STEP_POLICY with overrides from JSON (`{"minShadowRows": 50}`); unknown keys and non-numbers refused. */
export function parseStepPolicy(text: string): StepPolicy {
  if (!text.trim()) return { ...STEP_POLICY };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`policy is not JSON: ${errorMessage(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('policy must be a JSON object of bars, like {"minShadowRows": 500}');
  const policy = { ...STEP_POLICY };
  for (const [key, v] of Object.entries(value)) {
    if (!(key in STEP_POLICY))
      throw new Error(`policy.${key} is not a bar (expected one of ${Object.keys(STEP_POLICY).join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`policy.${key} must be a number ≥ 0, got ${JSON.stringify(v)}`);
    policy[key as keyof StepPolicy] = v;
  }
  return policy;
}

/** Each replica's /metrics from service base URLs (whitespace- or comma-separated). */
export function metricsUrlsOf(serviceUrls: string): string[] {
  return serviceUrls
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((url) => (url.endsWith('/metrics') ? url : `${url.replace(/\/+$/, '')}/metrics`));
}
