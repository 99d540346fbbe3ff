/**
 * What the replay prints: a progress bar redrawn in place on a terminal, plain progress lines
 * otherwise (CI logs, pipes), and the summary.
 */
import type { LatencySummary, ReplayProgress, ReplaySummary } from './replay.ts';

const BAR_WIDTH = 30;

/** One progress line; `tty` draws a bar (the caller redraws it with a carriage return). */
export function progressLine(p: ReplayProgress, tty: boolean): string {
  const done = p.predictionsAnswered + p.feedbackAnswered;
  const total = p.predictionRequests + p.feedbackTotal;
  const share = total > 0 ? done / total : 1;
  const seconds = (p.elapsedMs / 1000).toFixed(1);
  const counts = `predict ${p.predictionsAnswered}/${p.predictionRequests}${p.feedbackTotal > 0 ? `, feedback ${p.feedbackAnswered}/${p.feedbackTotal}` : ''}, failed ${p.failed}, ${seconds} s`;
  if (!tty) return `replay: ${(share * 100).toFixed(0)}% (${counts})`;
  const filled = Math.round(share * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${counts}`;
}

/** Reports progress to a stream: in place on a TTY, a line every `everyMs` (default 5 s) otherwise. */
export function progressReporter(
  stream: { write(text: string): unknown; isTTY?: boolean },
  everyMs = 5_000,
): { onProgress(p: ReplayProgress): void; done(): void } {
  const tty = stream.isTTY === true;
  let lastLine = -Infinity;
  let drawn = false;
  return {
    onProgress(p) {
      if (tty) {
        stream.write(`\r${progressLine(p, true)}\u001b[K`);
        drawn = true;
      } else if (p.elapsedMs - lastLine >= everyMs) {
        lastLine = p.elapsedMs;
        stream.write(`${progressLine(p, false)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a');
const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null, digits = 4) => (v === null ? 'n/a' : v.toFixed(digits));
const latencyText = (l: LatencySummary) =>
  `p50 ${ms(l.p50Ms)}, p90 ${ms(l.p90Ms)}, p99 ${ms(l.p99Ms)}, max ${ms(l.maxMs)}`;
const statusText = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([status, n]) => `${n}×${status}`)
    .join(', ') || 'none';

export function formatSummary(s: ReplaySummary): string {
  const p = s.predictions;
  const f = s.feedback;
  const lines = [
    `replayed ${p.rows.toLocaleString('en-US')} flights in ${p.requests.toLocaleString('en-US')} requests (${s.batchSize === 1 ? 'single-row' : `batches of ${s.batchSize}`}) at ${s.rate} req/s in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  predictions: ${p.ok.toLocaleString('en-US')} ok, other statuses ${statusText(p.statuses)}, errors ${p.errors}; achieved ${p.achievedRate.toFixed(1)} req/s`,
    `  latency:     ${latencyText(p.latency)} (loader lag p99 ${ms(s.loaderLagP99Ms)})`,
    `  flagged:     ${pct(p.flaggedShare)} of answered rows; actually delayed: ${pct(s.delayedShare)}`,
    `  versions:    ${
      Object.entries(p.versions)
        .map(([v, n]) => `${v} (${n.toLocaleString('en-US')} rows)`)
        .join(', ') || 'none'
    }`,
  ];
  if (s.feedbackDelayMs === null) lines.push('  feedback:    not sent (--no-feedback)');
  else
    lines.push(
      `  feedback:    ${f.sent.toLocaleString('en-US')} sent ${(s.feedbackDelayMs / 1000).toFixed(1)} s after each prediction, ${f.matched.toLocaleString('en-US')} matched, other statuses ${statusText(f.statuses)}, errors ${f.errors}, skipped ${f.skipped} (prediction failed); ${latencyText(f.latency)}`,
    );
  const v = s.service;
  if (!v) lines.push('  service:     /metrics not readable');
  else
    lines.push(
      `  service:     predictions_total ${v.predictionsTotal.toLocaleString('en-US')}, feedback matched ${v.feedbackMatched.toLocaleString('en-US')}; online window ${v.onlineWindowRows ?? 'n/a'} rows: recall@20% ${num(v.onlineRecallAtBudget)}, precision@20% ${num(v.onlinePrecisionAtBudget)}, AUC ${num(v.onlineAuc)}, delayed ${pct(v.onlineDelayedRate)}, flagged ${pct(v.onlineFlagRate)}`,
    );
  return `${lines.join('\n')}\n`;
}
