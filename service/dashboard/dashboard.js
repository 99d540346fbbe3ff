/* global document, window, fetch, uPlot */
// The dashboard page: fetches /dashboard/data and draws it with uPlot. Plain browser JavaScript,
// served as is (no build step). Each chart's container gets data-points (points drawn), and the
// body data-rendered when every chart is drawn: the headless-browser test reads them.
'use strict';

const WIDTH = 540;
const HEIGHT = 220;
const PSI_WARN = 0.1;
const PSI_ALERT = 0.25;

const fmt = (x, digits = 3) => (x === null || x === undefined ? '–' : Number(x).toFixed(digits));

function empty(id, text) {
  const el = document.getElementById(id);
  el.innerHTML = `<p class="empty">${text}</p>`;
  el.dataset.points = '0';
}

function timeChart(id, t, series, yLabel) {
  const el = document.getElementById(id);
  el.innerHTML = '';
  if (t.length === 0) return empty(id, 'no samples yet');
  const opts = {
    width: WIDTH,
    height: HEIGHT,
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))],
    axes: [{}, { label: yLabel }],
  };
  new uPlot(opts, [t, ...series.map((s) => s.values)], el);
  el.dataset.points = String(t.length * series.length);
}

/** Bars over categories: x is the category index, labels on the axis. */
function barChart(id, categories, series, yLabel, extraLines = []) {
  const el = document.getElementById(id);
  el.innerHTML = '';
  if (categories.length === 0) return empty(id, 'no data in the window yet');
  const x = categories.map((_, i) => i);
  // One bar per series and category; two series stand side by side (left and right of the tick).
  const bars = (k) =>
    uPlot.paths.bars({ size: [0.8 / series.length, 40], align: series.length === 1 ? 0 : k === 0 ? -1 : 1 });
  const opts = {
    width: WIDTH,
    height: HEIGHT,
    scales: { x: { time: false, range: [-0.5, categories.length - 0.5] } },
    series: [
      {},
      ...series.map((s, k) => ({
        label: s.label,
        fill: s.color,
        stroke: s.color,
        paths: bars(k),
        points: { show: false },
        value: (_u, v) => fmt(v),
      })),
      ...extraLines.map((l) => ({ label: l.label, stroke: l.color, dash: [6, 4], points: { show: false } })),
    ],
    axes: [{ values: (_u, ticks) => ticks.map((i) => categories[i] ?? ''), rotate: -30, size: 60 }, { label: yLabel }],
  };
  const data = [x, ...series.map((s) => s.values), ...extraLines.map((l) => x.map(() => l.value))];
  new uPlot(opts, data, el);
  el.dataset.points = String(series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0));
}

function timeline(id, commits) {
  const el = document.getElementById(id);
  el.innerHTML = '';
  if (commits.length === 0) return empty(id, 'no manifest history');
  const ordered = [...commits].reverse();
  const versions = [...new Set(ordered.map((c) => c.champion).filter(Boolean))];
  const t = ordered.map((c) => Math.round(Date.parse(c.date) / 1000));
  const y = ordered.map((c) => versions.indexOf(c.champion));
  const only = (kind) => ordered.map((c, i) => (c.kind === kind ? y[i] : null));
  const opts = {
    width: WIDTH,
    height: HEIGHT,
    scales: { y: { range: [-0.5, versions.length - 0.5] } },
    series: [
      {},
      {
        label: 'champion',
        stroke: '#8c959f',
        width: 1,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
      },
      { label: 'promotion', stroke: '#1a7f37', paths: () => null, points: { show: true, size: 10, fill: '#1a7f37' } },
      { label: 'rollback', stroke: '#d1242f', paths: () => null, points: { show: true, size: 10, fill: '#d1242f' } },
      { label: 'other', stroke: '#59636e', paths: () => null, points: { show: true, size: 6 } },
    ],
    axes: [{}, { values: (_u, ticks) => ticks.map((i) => versions[i] ?? ''), size: 150 }],
  };
  new uPlot(opts, [t, y, only('promotion'), only('rollback'), only('other')], el);
  el.dataset.points = String(ordered.length);
}

function table(id, head, rows) {
  document.getElementById(id).innerHTML =
    `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
    '</table>';
}

async function render() {
  const response = await fetch('/dashboard/data');
  if (!response.ok) throw new Error(`/dashboard/data answered ${response.status}`);
  const d = await response.json();
  document.getElementById('meta').textContent =
    `serving ${d.serving ?? 'nothing yet'} · window ${Math.round(d.windowSeconds)} s, sampled every ${d.sampleSeconds} s · ${d.generatedAt}` +
    (d.timelineError ? ` · timeline: ${d.timelineError}` : '');

  timeChart(
    'traffic',
    d.traffic.t,
    [
      { label: 'requests/s', color: '#0969da', values: d.traffic.rate },
      { label: '5xx/s', color: '#d1242f', values: d.traffic.errors },
    ],
    'per second',
  );
  timeChart(
    'latency',
    d.traffic.t,
    [
      { label: 'p50', color: '#1a7f37', values: d.traffic.p50Ms },
      { label: 'p99', color: '#bc4c00', values: d.traffic.p99Ms },
    ],
    'ms',
  );

  const versions = [...new Set(d.quality.map((q) => q.version))];
  const slices = [...new Set(d.quality.map((q) => q.slice))];
  const colors = ['#0969da', '#8250df', '#bc4c00', '#1a7f37'];
  barChart(
    'quality',
    slices,
    versions.map((v, k) => ({
      label: `recall ${v}`,
      color: colors[k % colors.length],
      values: slices.map((s) => d.quality.find((q) => q.version === v && q.slice === s)?.recall ?? null),
    })),
    'recall at the served threshold',
  );
  table(
    'quality-table',
    ['version · slice', 'outcomes', 'delayed', 'recall', 'precision', 'recall@20%', 'AUC'],
    d.quality.map((q) => [
      `${q.version} · ${q.slice}`,
      q.outcomes,
      fmt(q.delayedRate),
      fmt(q.recall),
      fmt(q.precision),
      fmt(q.recallAtBudget),
      fmt(q.auc),
    ]),
  );

  const served = d.drift.filter((x) => x.version === (d.serving ?? x.version));
  barChart(
    'drift',
    served.map((x) => x.feature),
    [{ label: `PSI ${d.serving ?? ''}`, color: '#0969da', values: served.map((x) => x.psi) }],
    'PSI',
    [
      { label: `warn ${PSI_WARN}`, color: '#9a6700', value: PSI_WARN },
      { label: `alert ${PSI_ALERT}`, color: '#d1242f', value: PSI_ALERT },
    ],
  );
  table(
    'drift-table',
    ['version · feature', 'rows', 'PSI'],
    d.drift.map((x) => {
      const cls = x.psi >= PSI_ALERT ? 'alert' : x.psi >= PSI_WARN ? 'warn' : '';
      return [`${x.version} · ${x.feature}`, x.rows, `<span class="${cls}">${fmt(x.psi)}</span>`];
    }),
  );

  timeline('timeline', d.timeline);
  document.body.dataset.rendered = 'true';
}

render().catch((error) => {
  document.getElementById('meta').textContent = `dashboard failed: ${error.message}`;
  throw error;
});
window.setInterval(() => render().catch(() => {}), 15000);
