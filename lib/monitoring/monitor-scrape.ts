/**
 * The rules evaluated over ONE scrape of the service's /metrics, for teams without a Prometheus.
 *
 * Why an evaluator here: Prometheus evaluates rules over stored time series; without one, the monitor
 * has a single sample of each counter, and no library evaluates PromQL in JavaScript (promtool and
 * prometheus need a TSDB). So the rule expressions are read with Prometheus's own grammar
 * (`@prometheus-io/lezer-promql`, as lib/monitoring/promql.ts does) and evaluated node by node,
 * with exactly the node types the rules use; anything else throws, naming the node, so a new rule
 * that needs more fails the monitor's tests instead of evaluating wrongly.
 *
 * Single-scrape semantics (documented in monitoring/README.md, "The monitor"):
 * - the window of every range is the process's lifetime: `increase(c[w])` is the counter's value
 *   (counters start at 0 with the process), `rate(c[w])` is that divided by `w`; ratios of two
 *   rates — what the rules compare — are exact for the process's lifetime;
 * - `x offset d` is empty (nothing is known before the scrape), so `x unless x offset d` is `x`;
 * - `for:` cannot be observed from one sample: a rule whose condition holds is reported firing,
 *   with `since` the scrape time (the incident dedupe keeps a re-run from acting twice);
 * - every sample gets `job` and `instance` labels, as Prometheus's scrape adds them; `up` is 1.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { durationMs } from './promql.ts';
import type { RuleFile } from './rules.ts';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
type Value = { kind: 'scalar'; value: number } | { kind: 'vector'; samples: Sample[] };

export interface ScrapeContext {
  /** Samples by metric name (`__name__` is in the labels too). */
  series: Map<string, Sample[]>;
  /** Evaluation time, seconds since the epoch (`time()`). */
  nowSeconds: number;
}

/**
 * Every sample line of a text exposition as a series, the way Prometheus stores a scrape, with the
 * target's `job` and `instance` labels, and `up` = 1. Not parse-prometheus-text-format (exposition.ts):
 * it folds a labelled histogram's series into one sample without labels, so per-route latency
 * buckets would be lost; sample lines need no family structure.
 */
export function scrapeSamples(text: string, target: Labels): Map<string, Sample[]> {
  const series = new Map<string, Sample[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line of the text exposition format: ${line}`);
    const labels: Labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    const list = series.get(m[1]) ?? [];
    list.push({ labels: { ...labels, ...target, __name__: m[1] }, value });
    series.set(m[1], list);
  }
  series.set('up', [{ labels: { ...target, __name__: 'up' }, value: 1 }]);
  return series;
}

const text = (expr: string, node: SyntaxNode) => expr.slice(node.from, node.to);
const children = (node: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

function unsupported(expr: string, node: SyntaxNode, what = node.name): never {
  throw new Error(`scrape evaluation does not support ${what} (in "${text(expr, node)}"); configure a Prometheus URL`);
}

function matchers(expr: string, node: SyntaxNode | null): ((labels: Labels) => boolean)[] {
  return (node?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => {
    const name = text(expr, m.getChild('LabelName')!);
    const op = m.getChild('MatchOp')!.firstChild!.name;
    const value = JSON.parse(text(expr, m.getChild('StringLiteral')!).replace(/^'(.*)'$/, '"$1"')) as string;
    const re = new RegExp(`^(?:${value})$`);
    const test = (v: string) =>
      op === 'EqlSingle' ? v === value : op === 'Neq' ? v !== value : op === 'EqlRegex' ? re.test(v) : !re.test(v);
    return (labels: Labels) => test(labels[name] ?? '');
  });
}

function select(expr: string, node: SyntaxNode, ctx: ScrapeContext): Sample[] {
  const id = node.getChild('Identifier');
  const tests = matchers(expr, node.getChild('LabelMatchers'));
  const pool = id ? (ctx.series.get(text(expr, id)) ?? []) : [...ctx.series.values()].flat();
  return pool.filter((s) => tests.every((t) => t(s.labels)));
}

const dropName = ({ __name__: _, ...rest }: Labels): Labels => rest;
const signature = (labels: Labels, names: string[] | null, on: boolean) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== '__name__' && (names === null ? true : on ? names.includes(k) : !names.includes(k)))
      .sort(([a], [b]) => a.localeCompare(b)),
  );

const ARITHMETIC: Partial<Record<string, (a: number, b: number) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Mod: (a, b) => a % b,
  Pow: (a, b) => a ** b,
};
const COMPARISON: Partial<Record<string, (a: number, b: number) => boolean>> = {
  Eql: (a, b) => a === b,
  Neq: (a, b) => a !== b,
  Gtr: (a, b) => a > b,
  Lss: (a, b) => a < b,
  Gte: (a, b) => a >= b,
  Lte: (a, b) => a <= b,
};

function evaluate(expr: string, node: SyntaxNode, ctx: ScrapeContext): Value {
  switch (node.name) {
    case 'PromQL':
    case 'ParenExpr':
      return evaluate(
        expr,
        children(node).find((c) => !['(', ')'].includes(c.name))!,
        ctx,
      );
    case 'NumberDurationLiteral':
      return { kind: 'scalar', value: Number(text(expr, node)) };
    case 'VectorSelector':
      return { kind: 'vector', samples: select(expr, node, ctx) };
    case 'OffsetExpr': {
      // Nothing is known before the scrape: an offset selector is empty. The grammar hangs the offset
      // of `a unless b offset d` on the binary expression; Prometheus binds it to `b`.
      const inner = node.firstChild!;
      if (inner.name === 'VectorSelector') return { kind: 'vector', samples: [] };
      if (inner.name === 'BinaryExpr' && children(inner).at(-1)!.name === 'VectorSelector')
        return binary(expr, inner, ctx, { kind: 'vector', samples: [] });
      return unsupported(expr, node, 'offset on anything but a selector');
    }
    case 'UnaryExpr': {
      const v = evaluate(expr, node.lastChild!, ctx);
      const sign = text(expr, node.firstChild!) === '-' ? -1 : 1;
      return v.kind === 'scalar'
        ? { kind: 'scalar', value: sign * v.value }
        : { kind: 'vector', samples: v.samples.map((s) => ({ labels: dropName(s.labels), value: sign * s.value })) };
    }
    case 'BinaryExpr':
      return binary(expr, node, ctx);
    case 'AggregateExpr':
      return aggregate(expr, node, ctx);
    case 'FunctionCall':
      return call(expr, node, ctx);
    default:
      return unsupported(expr, node);
  }
}

function vectorOf(expr: string, node: SyntaxNode, value: Value): Sample[] {
  if (value.kind !== 'vector') unsupported(expr, node, 'a scalar where a vector is expected');
  return value.samples;
}

function binary(expr: string, node: SyntaxNode, ctx: ScrapeContext, rightOverride?: Value): Value {
  const parts = children(node);
  const [leftNode, opNode] = parts;
  const rightNode = parts.at(-1)!;
  const op = opNode.name;
  const modifier = parts.find((p) => p.name === 'MatchingModifierClause');
  if (parts.some((p) => p.name === 'BoolModifier')) unsupported(expr, node, 'the bool modifier');
  const left = evaluate(expr, leftNode, ctx);
  const right = rightOverride ?? evaluate(expr, rightNode, ctx);
  let names: string[] | null = null;
  let on = false;
  let groupLeft = false;
  if (modifier) {
    on = modifier.getChild('On') !== null;
    names = (modifier.getChild('GroupingLabels')?.getChildren('LabelName') ?? []).map((n) => text(expr, n));
    groupLeft = modifier.getChild('GroupLeft') !== null;
    if (modifier.getChild('GroupRight')) unsupported(expr, node, 'group_right');
  }
  if (op === 'And' || op === 'Or' || op === 'Unless') {
    const l = vectorOf(expr, leftNode, left);
    const r = vectorOf(expr, rightNode, right);
    const rightKeys = new Set(r.map((s) => signature(s.labels, names, on)));
    if (op === 'And')
      return { kind: 'vector', samples: l.filter((s) => rightKeys.has(signature(s.labels, names, on))) };
    if (op === 'Unless')
      return { kind: 'vector', samples: l.filter((s) => !rightKeys.has(signature(s.labels, names, on))) };
    const leftKeys = new Set(l.map((s) => signature(s.labels, names, on)));
    return { kind: 'vector', samples: [...l, ...r.filter((s) => !leftKeys.has(signature(s.labels, names, on)))] };
  }
  const arithmetic = ARITHMETIC[op];
  const comparison = COMPARISON[op];
  if (!arithmetic && !comparison) return unsupported(expr, opNode, `operator ${text(expr, opNode)}`);
  // Arithmetic makes a value; a comparison keeps the left value where it holds (no `bool`).
  const apply = (a: number, b: number, keep = a): number | null =>
    arithmetic ? arithmetic(a, b) : comparison!(a, b) ? keep : null;
  if (left.kind === 'scalar' && right.kind === 'scalar') {
    if (comparison) unsupported(expr, node, 'a comparison of two scalars without bool');
    return { kind: 'scalar', value: arithmetic!(left.value, right.value) };
  }
  if (left.kind === 'scalar' || right.kind === 'scalar') {
    const samples: Sample[] = [];
    for (const s of left.kind === 'vector' ? left.samples : (right as { samples: Sample[] }).samples) {
      const [a, b] = left.kind === 'scalar' ? [left.value, s.value] : [s.value, (right as { value: number }).value];
      const v = apply(a, b, s.value);
      if (v !== null) samples.push({ labels: arithmetic ? dropName(s.labels) : s.labels, value: v });
    }
    return { kind: 'vector', samples };
  }
  // Vector to vector: one-to-one, or many-to-one with group_left (left keeps its labels).
  const byKey = new Map<string, Sample>();
  for (const s of right.samples) {
    const key = signature(s.labels, names, on);
    if (byKey.has(key)) throw new Error(`many-to-many matching on the right of "${text(expr, node)}"`);
    byKey.set(key, s);
  }
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const s of left.samples) {
    const key = signature(s.labels, names, on);
    const match = byKey.get(key);
    if (!match) continue;
    if (!groupLeft) {
      if (seen.has(key)) throw new Error(`many-to-one matching without group_left in "${text(expr, node)}"`);
      seen.add(key);
    }
    const v = apply(s.value, match.value);
    if (v === null) continue;
    let labels = arithmetic ? dropName(s.labels) : s.labels;
    // One-to-one keeps the `on` labels, or drops the `ignoring` ones (Prometheus's resultMetric).
    if (names && !groupLeft)
      labels = Object.fromEntries(Object.entries(labels).filter(([k]) => names.includes(k) === on));
    samples.push({ labels, value: v });
  }
  return { kind: 'vector', samples };
}

function aggregate(expr: string, node: SyntaxNode, ctx: ScrapeContext): Value {
  const op = node.getChild('AggregateOp')!.firstChild!.name;
  const modifier = node.getChild('AggregateModifier');
  const names = (modifier?.getChild('GroupingLabels')?.getChildren('LabelName') ?? []).map((n) => text(expr, n));
  const without = modifier?.getChild('Without') !== null && modifier !== null;
  const body = node.getChild('FunctionCallBody')!;
  const args = children(body).filter((c) => !['(', ')', ','].includes(c.name));
  if (args.length !== 1) unsupported(expr, node, `${op} with a parameter`);
  const samples = vectorOf(expr, args[0], evaluate(expr, args[0], ctx));
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of samples) {
    const labels = Object.fromEntries(
      Object.entries(dropName(s.labels)).filter(([k]) => (without ? !names.includes(k) : names.includes(k))),
    );
    const key = signature(labels, null, false);
    const group = groups.get(key) ?? { labels, values: [] };
    group.values.push(s.value);
    groups.set(key, group);
  }
  const reduce: Record<string, (v: number[]) => number> = {
    Sum: (v) => v.reduce((a, b) => a + b, 0),
    Max: (v) => Math.max(...v),
    Min: (v) => Math.min(...v),
    Count: (v) => v.length,
    Avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  };
  if (!reduce[op]) unsupported(expr, node, `aggregation ${op}`);
  return {
    kind: 'vector',
    samples: [...groups.values()].map((g) => ({ labels: g.labels, value: reduce[op](g.values) })),
  };
}

function call(expr: string, node: SyntaxNode, ctx: ScrapeContext): Value {
  const name = node.getChild('FunctionIdentifier')!.firstChild!.name;
  const args = children(node.getChild('FunctionCallBody')!).filter((c) => !['(', ')', ','].includes(c.name));
  const mapValues = (v: Value, f: (x: number) => number): Value => ({
    kind: 'vector',
    samples: vectorOf(expr, node, v).map((s) => ({ labels: dropName(s.labels), value: f(s.value) })),
  });
  switch (name) {
    case 'Time':
      return { kind: 'scalar', value: ctx.nowSeconds };
    case 'Rate':
    case 'Increase': {
      const matrix = args[0];
      if (matrix?.name !== 'MatrixSelector') return unsupported(expr, node, `${name.toLowerCase()} without a range`);
      const seconds = durationMs(text(expr, matrix.getChild('DurationExpr')!)) / 1000;
      const samples = select(expr, matrix.getChild('VectorSelector')!, ctx);
      // One sample per series: the counter's value is its increase since the process started.
      return mapValues({ kind: 'vector', samples }, (x) => (name === 'Rate' ? x / seconds : x));
    }
    case 'Absent': {
      const samples = vectorOf(expr, args[0], evaluate(expr, args[0], ctx));
      if (samples.length > 0) return { kind: 'vector', samples: [] };
      const selector = args[0].name === 'VectorSelector' ? args[0] : null;
      const labels: Labels = {};
      for (const m of selector?.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [])
        if (m.getChild('MatchOp')!.firstChild!.name === 'EqlSingle')
          labels[text(expr, m.getChild('LabelName')!)] = JSON.parse(text(expr, m.getChild('StringLiteral')!)) as string;
      return { kind: 'vector', samples: [{ labels, value: 1 }] };
    }
    case 'ClampMin':
    case 'ClampMax': {
      const bound = evaluate(expr, args[1], ctx);
      if (bound.kind !== 'scalar') return unsupported(expr, args[1], 'a vector bound');
      const f = name === 'ClampMin' ? Math.max : Math.min;
      return mapValues(evaluate(expr, args[0], ctx), (x) => f(x, bound.value));
    }
    case 'Ln':
      return mapValues(evaluate(expr, args[0], ctx), Math.log);
    case 'HistogramQuantile': {
      const q = evaluate(expr, args[0], ctx);
      if (q.kind !== 'scalar') return unsupported(expr, args[0], 'a vector quantile');
      return {
        kind: 'vector',
        samples: histogramQuantile(q.value, vectorOf(expr, args[1], evaluate(expr, args[1], ctx))),
      };
    }
    default:
      return unsupported(expr, node, `function ${text(expr, node.getChild('FunctionIdentifier')!)}`);
  }
}

/** Prometheus's histogram_quantile: linear interpolation inside the bucket that holds the rank. */
function histogramQuantile(q: number, buckets: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
  for (const s of buckets) {
    const { le, ...rest } = dropName(s.labels);
    const key = signature(rest, null, false);
    const group = groups.get(key) ?? { labels: rest, buckets: [] };
    group.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: s.value });
    groups.set(key, group);
  }
  return [...groups.values()].map(({ labels, buckets: b }) => {
    b.sort((x, y) => x.le - y.le);
    const total = b.at(-1)?.count ?? 0;
    if (b.length < 2 || b.at(-1)!.le !== Infinity || total === 0) return { labels, value: NaN };
    const rank = q * total;
    const i = b.findIndex((x) => x.count >= rank);
    if (b[i].le === Infinity) return { labels, value: b[i - 1].le };
    const lower = i === 0 ? 0 : b[i - 1].le;
    const below = i === 0 ? 0 : b[i - 1].count;
    return { labels, value: lower + ((b[i].le - lower) * (rank - below)) / (b[i].count - below || 1) };
  });
}

/** One PromQL expression over the scrape (recorded series must be in `ctx.series` already). */
export function evaluateExpression(expr: string, ctx: ScrapeContext): Sample[] {
  const tree = parser.parse(expr);
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`PromQL does not parse at ${n.from}: ${expr}`);
    },
  });
  const value = evaluate(expr, tree.topNode, ctx);
  return value.kind === 'scalar' ? [{ labels: {}, value: value.value }] : value.samples;
}

export interface ScrapeAlert {
  alert: string;
  labels: Labels;
  annotations: Record<string, string>;
  value: number;
}

/**
 * Recording rules in file order (each result becomes a series later rules read), then every alert:
 * one result per sample of its expression, with the rule's labels.
 */
export function evaluateRulesOnScrape(
  files: readonly RuleFile[],
  ctx: ScrapeContext,
): { alerts: Map<string, ScrapeAlert[]>; recorded: Map<string, Sample[]> } {
  const series = new Map(ctx.series);
  const recorded = new Map<string, Sample[]>();
  const scope = { ...ctx, series };
  const rules = files.flatMap((f) => f.groups.flatMap((g) => g.rules));
  for (const rule of rules) {
    if (!rule.record) continue;
    const samples = evaluateExpression(rule.expr, scope).map((s) => ({
      labels: { ...dropName(s.labels), ...rule.labels, __name__: rule.record! },
      value: s.value,
    }));
    series.set(rule.record, samples);
    recorded.set(rule.record, samples);
  }
  const alerts = new Map<string, ScrapeAlert[]>();
  for (const rule of rules) {
    if (!rule.alert) continue;
    alerts.set(
      rule.alert,
      evaluateExpression(rule.expr, scope).map((s) => ({
        alert: rule.alert!,
        labels: { ...dropName(s.labels), ...rule.labels, alertname: rule.alert! },
        annotations: rule.annotations ?? {},
        value: s.value,
      })),
    );
  }
  return { alerts, recorded };
}
