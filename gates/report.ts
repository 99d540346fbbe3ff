/**
 * `gate-report.md`: the evidence as a reviewer reads it in the pull request — verdict line,
 * checks, metrics candidate vs champion, per-slice table and a mermaid chart GitHub renders.
 *
 * GitHub caps a comment at 65,536 characters, so the report is built under a budget: long tables
 * are cut (failing rows first kept) with a note pointing at evidence.json, which always has it all.
 */
import { roundP99Text, type GateCheck, type SliceComparison } from './evaluate.ts';
import type { GateEvidence } from './evidence.ts';

/** GitHub's limit for an issue or pull-request comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Default budget: under the limit with room for a wrapper line the commenter may add. */
export const REPORT_MAX_CHARS = 60_000;
/** Marker the PR commenter finds to update its comment in place. */
export const REPORT_MARKER = '<!-- taxiway:model-gate -->';

const ICON: Record<GateCheck['status'], string> = { pass: '✅', fail: '❌', skip: '➖' };

const f4 = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '—');
const signed = (x: number | null | undefined) =>
  typeof x === 'number' && Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}` : '—';
const int = (x: number) => x.toLocaleString('en-US');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const short = (sha: string) => sha.slice(0, 12);

function truncateText(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function figure(check: GateCheck): string {
  const x = check.figure;
  if (x === null) return '—';
  if (check.id === 'artifact.bytes' || check.id === 'data.rows' || check.id === 'data.train-rows') return int(x);
  if (check.id.startsWith('data.') && check.id !== 'data.evaluation-unseen') return `${(x * 100).toFixed(2)}%`;
  if (check.id === 'latency.p99') return `${x.toFixed(3)} ms`;
  if (check.id === 'golden.reproduced') return x.toExponential(2);
  if (check.group === 'schema' || check.id === 'data.evaluation-unseen') return String(x);
  if (check.group === 'slice' || check.group === 'non-regression') return signed(x);
  return f4(x);
}

interface Limits {
  /** Max slice rows in the table (failing and worst first when cut). */
  sliceRows: number;
  /** Max passing/skipped checks listed (failing checks are always listed). */
  otherChecks: number;
  detailChars: number;
}

function checksTable(checks: GateCheck[], limits: Limits): string[] {
  const failing = checks.filter((c) => c.status === 'fail');
  const others = checks.filter((c) => c.status !== 'fail');
  const shown = [...failing, ...others.slice(0, limits.otherChecks)];
  const order = new Map(checks.map((c, i) => [c, i]));
  shown.sort((a, b) => order.get(a)! - order.get(b)!);
  const lines = ['| | Check | Figure | Threshold | Detail |', '|---|---|---:|---|---|'];
  for (const c of shown) {
    lines.push(
      `| ${ICON[c.status]} | \`${cell(c.id)}\` ${cell(c.description)} | ${figure(c)} | ${cell(c.threshold)} | ${cell(truncateText(c.detail, limits.detailChars))} |`,
    );
  }
  const hidden = checks.length - shown.length;
  if (hidden > 0)
    lines.push(
      '',
      `_${hidden} passing or skipped checks not shown to stay under GitHub's comment limit; evidence.json lists every check._`,
    );
  return lines;
}

function metricsTable(e: GateEvidence): string[] {
  const c = e.metrics.candidate;
  const k = e.metrics.champion;
  const budget = `${Math.round(e.policy.values.alertBudget * 100)}%`;
  const ci = (b: GateEvidence['bootstrap']['auc']) => (b ? ` [${signed(b.lo)}, ${signed(b.hi)}]` : '');
  const rows: [string, number, number | undefined, string][] = [
    ['AUC', c.auc, k?.auc, ci(e.bootstrap.auc)],
    [`Recall@${budget} (business metric)`, c.recallAtBudget, k?.recallAtBudget, ci(e.bootstrap.recallAtBudget)],
    [`Precision@${budget}`, c.precisionAtBudget, k?.precisionAtBudget, ''],
    ['Log loss', c.logLoss, k?.logLoss, ''],
    ['Brier score', c.brier, k?.brier, ''],
    ['ECE (calibration)', c.ece, k?.ece, ''],
  ];
  const lines = ['| Metric | Candidate | Champion | Δ (95% CI) |', '|---|---:|---:|---:|'];
  for (const [name, cand, champ, interval] of rows) {
    lines.push(
      `| ${name} | ${f4(cand)} | ${f4(champ)} | ${champ === undefined ? '—' : `${signed(cand - champ)}${interval}`} |`,
    );
  }
  return lines;
}

function slicesForTable(slices: SliceComparison[], limit: number, failing: Set<string>): SliceComparison[] {
  if (slices.length <= limit) return slices;
  // Keep failing slices, then the worst deltas, then the largest slices.
  const rank = (s: SliceComparison) => (failing.has(s.slice) ? 0 : 1);
  const kept = [...slices]
    .sort((a, b) => rank(a) - rank(b) || (a.deltaAuc ?? 0) - (b.deltaAuc ?? 0) || b.rows - a.rows)
    .slice(0, limit);
  const keep = new Set(kept);
  return slices.filter((s) => keep.has(s));
}

function slicesTable(e: GateEvidence, limits: Limits): string[] {
  const failing = new Set(
    e.checks.filter((c) => c.group === 'slice' && c.status === 'fail').map((c) => c.id.slice('slice.auc['.length, -1)),
  );
  const shown = slicesForTable(e.slices, limits.sliceRows, failing);
  const lines = [
    `| Slice | Rows | Delayed | AUC candidate | AUC champion | Δ AUC (95% CI) | Recall@${Math.round(e.policy.values.alertBudget * 100)}% candidate | champion | Gated |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of shown) {
    const mark = failing.has(s.slice) ? '❌' : s.gated ? 'yes' : `no (< ${int(e.policy.values.slices.minRows)} rows)`;
    const ci = s.ci ? ` [${signed(s.ci.lo)}, ${signed(s.ci.hi)}]` : '';
    lines.push(
      `| ${cell(s.slice)} | ${int(s.rows)} | ${int(s.positives)} | ${f4(s.candidate.auc)} | ${f4(s.champion?.auc)} | ${signed(s.deltaAuc)}${ci} | ${f4(s.candidate.recallAtBudget)} | ${f4(s.champion?.recallAtBudget)} | ${mark} |`,
    );
  }
  if (shown.length < e.slices.length)
    lines.push(
      '',
      `_${e.slices.length - shown.length} more slices not shown (failing and worst kept); see evidence.json._`,
    );
  return lines;
}

/** A mermaid `xychart-beta` of per-slice AUC: bars for the candidate, a line for the champion. */
export function sliceChart(slices: SliceComparison[], maxBars = 24): string[] {
  const shown = slices.filter((s) => s.gated && Number.isFinite(s.candidate.auc)).slice(0, maxBars);
  if (shown.length === 0) return [];
  const values = shown.flatMap((s) => [s.candidate.auc, s.champion?.auc ?? s.candidate.auc]).filter(Number.isFinite);
  const lo = Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20);
  const hi = Math.min(1, Math.ceil((Math.max(...values) + 0.02) * 20) / 20);
  const list = (xs: number[]) => `[${xs.map((x) => x.toFixed(4)).join(', ')}]`;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "AUC by slice (bars: candidate${shown.every((s) => s.champion) ? ', line: champion' : ''})"`,
    `  x-axis [${shown.map((s) => `"${s.slice.replace(/"/g, "'")}"`).join(', ')}]`,
    `  y-axis "AUC" ${lo.toFixed(2)} --> ${hi.toFixed(2)}`,
    `  bar ${list(shown.map((s) => s.candidate.auc))}`,
  ];
  if (shown.every((s) => s.champion)) lines.push(`  line ${list(shown.map((s) => s.champion!.auc))}`);
  lines.push('```');
  return lines;
}

function render(e: GateEvidence, limits: Limits): string {
  const pass = e.verdict === 'pass';
  const out: string[] = [REPORT_MARKER];
  const against = e.champion ? `vs champion \`${e.champion.version}\`` : '(first model: no champion)';
  out.push(
    `## ${pass ? '✅' : '❌'} Model gate: ${pass ? 'PASS' : 'FAIL'} — candidate \`${e.candidate.version}\` ${against}`,
    '',
  );
  const total = e.timings.totalMs !== undefined ? ` · gate time ${(e.timings.totalMs / 1000).toFixed(1)} s` : '';
  out.push(
    `**${e.summary.passed} passed, ${e.summary.failed} failed, ${e.summary.skipped} skipped** · evaluation ${e.evaluation.start} → ${e.evaluation.end} (${int(e.evaluation.rows)} flights, unseen by both models) · policy \`${e.policy.file}\` (sha256 \`${short(e.policy.sha256)}\`)${total}`,
    '',
  );
  const failing = e.checks.filter((c) => c.status === 'fail');
  if (failing.length > 0) {
    out.push('### Failing checks', '');
    for (const c of failing.slice(0, 50))
      out.push(`- ❌ \`${c.id}\`: ${cell(truncateText(c.detail, limits.detailChars))} (threshold ${c.threshold})`);
    if (failing.length > 50) out.push(`- … and ${failing.length - 50} more (see the table and evidence.json)`);
    out.push('');
  }
  out.push('### Metrics on the evaluation week', '', ...metricsTable(e), '');
  out.push('### Checks', '', ...checksTable(e.checks, limits), '');
  out.push('### By slice', '', ...sliceChart(e.slices), '', ...slicesTable(e, limits), '');
  const l = e.latency;
  // What the latency check gated: CPU time when the gate measured it, else the wall clock; evidence
  // from before rounds has neither.
  const gated = e.latencyCpu ?? l;
  const gatedRounds = gated.roundP99Ms?.length
    ? `; ${e.latencyCpu ? `CPU time per call p50 ${e.latencyCpu.p50Ms.toFixed(3)} ms, ` : ''}p99 by round ${roundP99Text(gated, ' / ')} ms (the lowest is gated)`
    : '';
  out.push(
    '### Serving and reproducibility',
    '',
    `- Single-row latency in ONNX Runtime over ${int(l.calls)} calls: p50 ${l.p50Ms.toFixed(3)} ms, p90 ${l.p90Ms.toFixed(3)} ms, p99 ${l.p99Ms.toFixed(3)} ms, max ${l.maxMs.toFixed(3)} ms${gatedRounds}.`,
    `- Artifact: ${int(e.candidate.bytes)} bytes, ${e.candidate.trees} trees. Golden outputs: ${e.golden.examples} examples, max |Δ| ${e.golden.maxAbsDifference.toExponential(2)}.`,
    `- Data: ${(e.data.labelRate * 100).toFixed(2)}% delayed; ${(e.data.unseenAirportShare * 100).toFixed(2)}% of flights touch an airport and ${(e.data.unseenRouteShare * 100).toFixed(2)}% fly a route unseen in training.`,
    '',
  );
  const model = (m: GateEvidence['candidate'], role: string) =>
    `| ${role} | \`${m.version}\` | \`${m.sha256}\` | ${m.asOf} | ${m.run?.url ? `[run ${cell(m.run.id)}](${m.run.url})` : 'local'} |`;
  out.push('<details><summary>Provenance</summary>', '');
  out.push('| Role | Version | sha256 | asOf | Run |', '|---|---|---|---|---|', model(e.candidate, 'candidate'));
  if (e.champion) out.push(model(e.champion, 'champion'));
  out.push('');
  out.push(
    `Data \`${e.evaluation.dataFile}\` (sha256 \`${short(e.evaluation.dataSha256)}\`). Gate code ${short(e.gate.code.commit)}${e.gate.code.dirty ? ' (uncommitted changes)' : ''}, ${e.gate.node}, at ${e.gate.createdAt}.`,
    '',
  );
  const timings = Object.entries(e.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
    .join(' · ');
  if (timings) out.push(`Timings: ${timings}.`, '');
  out.push('</details>', '');
  return out.join('\n');
}

/** The markdown report, always within `maxChars` (default 60,000 < GitHub's 65,536). */
export function renderGateReport(evidence: GateEvidence, maxChars = REPORT_MAX_CHARS): string {
  let limits: Limits = { sliceRows: Number.POSITIVE_INFINITY, otherChecks: Number.POSITIVE_INFINITY, detailChars: 400 };
  let text = render(evidence, limits);
  // Shrink the long tables first; the verdict, failing checks and metrics always stay.
  let sliceRows = Math.min(evidence.slices.length, 200);
  while (text.length > maxChars && sliceRows > 0) {
    limits = { ...limits, sliceRows };
    text = render(evidence, limits);
    sliceRows = Math.floor(sliceRows / 2);
  }
  let otherChecks = Math.min(evidence.checks.length, 200);
  while (text.length > maxChars && otherChecks > 0) {
    limits = { ...limits, sliceRows: 0, otherChecks, detailChars: 120 };
    text = render(evidence, limits);
    otherChecks = Math.floor(otherChecks / 2);
  }
  if (text.length > maxChars) text = render(evidence, { sliceRows: 0, otherChecks: 0, detailChars: 80 });
  if (text.length > maxChars) {
    const note = "\n\n_Report cut to stay under GitHub's comment limit; evidence.json has every figure._\n";
    text = text.slice(0, maxChars - note.length) + note;
  }
  return text;
}
