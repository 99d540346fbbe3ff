/**
 * What a PromQL expression reads, with Prometheus's own grammar (`@prometheus-io/lezer-promql`):
 * the metric names it selects, and the same expression with every duration scaled (for running
 * the rules on a compressed timeline, as the replay compresses a week into minutes).
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';

function parse(expr: string): Tree {
  const tree = parser.parse(expr);
  tree.iterate({
    enter: (node) => {
      if (node.type.isError)
        throw new Error(`PromQL does not parse at ${node.from}: …${expr.slice(node.from, node.from + 40)}… in ${expr}`);
    },
  });
  return tree;
}

/** Metric names the expression selects (`foo{a="b"}`, `foo[5m]`, `{__name__="foo"}`). */
export function selectedMetrics(expr: string): Set<string> {
  const names = new Set<string>();
  parse(expr).iterate({
    enter: (node) => {
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      if (id) names.add(expr.slice(id.from, id.to));
      for (const matcher of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [])
        nameMatcher(expr, matcher, names);
    },
  });
  return names;
}

function nameMatcher(expr: string, matcher: SyntaxNode, names: Set<string>): void {
  const label = matcher.getChild('LabelName');
  const value = matcher.getChild('StringLiteral');
  if (label && value && expr.slice(label.from, label.to) === '__name__')
    names.add(JSON.parse(expr.slice(value.from, value.to)) as string);
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Milliseconds of a Prometheus duration (`1h30m`, `5m`, `90s`). */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`${JSON.stringify(text)} is not a Prometheus duration`);
  return parts.reduce((total, p) => total + Number(p[1]) * UNIT_MS[p[2]], 0);
}

/** A duration in whole milliseconds, as Prometheus writes it (`1m`, `1s500ms`). */
export function formatDuration(ms: number): string {
  let rest = Math.max(1, Math.round(ms));
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** The expression with every range, subquery and offset duration divided by `factor`. */
export function scaleDurations(expr: string, factor: number): string {
  const spans: { from: number; to: number }[] = [];
  parse(expr).iterate({
    enter: (node) => {
      if (node.name === 'NumberDurationLiteralInDurationContext') spans.push({ from: node.from, to: node.to });
    },
  });
  let out = expr;
  for (const { from, to } of spans.reverse())
    out = out.slice(0, from) + formatDuration(durationMs(expr.slice(from, to)) / factor) + out.slice(to);
  return out;
}

/** The expression with each selector of a recorded series replaced by the rule's own expression. */
export function inlineRecorded(expr: string, recorded: ReadonlyMap<string, string>): string {
  const spans: { from: number; to: number; name: string }[] = [];
  parse(expr).iterate({
    enter: (node) => {
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      const name = id ? expr.slice(id.from, id.to) : '';
      if (recorded.has(name) && !node.node.getChild('LabelMatchers'))
        spans.push({ from: node.from, to: node.to, name });
      return false;
    },
  });
  let out = expr;
  for (const { from, to, name } of spans.reverse())
    out = `${out.slice(0, from)}(${inlineRecorded(recorded.get(name)!, recorded)})${out.slice(to)}`;
  return out;
}

/** The expression with every range, subquery and offset duration set to `ms`. */
export function withRange(expr: string, ms: number): string {
  const spans: { from: number; to: number }[] = [];
  parse(expr).iterate({
    enter: (node) => {
      if (node.name === 'NumberDurationLiteralInDurationContext') spans.push({ from: node.from, to: node.to });
    },
  });
  let out = expr;
  for (const { from, to } of spans.reverse()) out = out.slice(0, from) + formatDuration(ms) + out.slice(to);
  return out;
}
