/**
 * Prometheus rule files (YAML) as data: load them, list the metrics their expressions read, and
 * make a time-compressed copy (durations divided by a factor) for tests and scenarios that cannot
 * wait hours of wall-clock time.
 */
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { durationMs, formatDuration, scaleDurations, selectedMetrics } from './promql.ts';

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

export async function loadRuleFile(file: string): Promise<RuleFile> {
  const doc = parse(await readFile(file, 'utf8')) as RuleFile;
  if (!Array.isArray(doc?.groups)) throw new Error(`${file}: a rule file needs a groups list`);
  return doc;
}

/** Names of the series the rules read that no rule of theirs records (what the targets must export). */
export function metricsReadByRules(files: readonly RuleFile[]): Map<string, string[]> {
  const recorded = new Set(files.flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => r.record))));
  const read = new Map<string, string[]>();
  for (const file of files)
    for (const group of file.groups)
      for (const rule of group.rules) {
        for (const name of selectedMetrics(rule.expr)) {
          if (recorded.has(name)) continue;
          read.set(name, [...(read.get(name) ?? []), rule.alert ?? rule.record ?? '?']);
        }
      }
  return read;
}

/** Series Prometheus makes itself, which no target exports. */
export const PROMETHEUS_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds']);

/** The same rules with every window, offset, `for` and group interval divided by `factor`. */
export function scaleRuleFile(file: RuleFile, factor: number): RuleFile {
  return {
    groups: file.groups.map((group) => ({
      ...group,
      ...(group.interval ? { interval: formatDuration(durationMs(group.interval) / factor) } : {}),
      rules: group.rules.map((rule) => ({
        ...rule,
        expr: scaleDurations(rule.expr, factor),
        ...(rule.for ? { for: formatDuration(durationMs(rule.for) / factor) } : {}),
      })),
    })),
  };
}

export function formatRuleFile(file: RuleFile): string {
  return stringify(file, { lineWidth: 0 });
}
