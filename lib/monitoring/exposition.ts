/**
 * Reading a Prometheus text exposition (a /metrics scrape) with `parse-prometheus-text-format`:
 * the series names PromQL can select (a histogram `h` exposes `h_bucket`, `h_sum`, `h_count`) and
 * the value of a sample.
 */
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

export type { ParsedFamily };

export function parseExposition(text: string): ParsedFamily[] {
  return parsePrometheusTextFormat(text);
}

/** Every series name a query can select in this scrape, including families with no samples yet. */
export function seriesNames(families: readonly ParsedFamily[]): Set<string> {
  const names = new Set<string>();
  for (const family of families) {
    if (family.type === 'HISTOGRAM')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(family.name + suffix);
    else if (family.type === 'SUMMARY') for (const suffix of ['', '_sum', '_count']) names.add(family.name + suffix);
    else names.add(family.name);
  }
  return names;
}

/**
 * The value of an unlabelled (or first matching) sample of a counter or gauge; null when the
 * family is absent or has no sample matching `labels`.
 */
export function sampleValue(
  families: readonly ParsedFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | null {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value));
  return sample?.value === undefined ? null : Number(sample.value);
}

/** Sum of a counter or gauge over all its samples matching `labels` (0 when absent). */
export function sumOf(families: readonly ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  let total = 0;
  for (const m of family?.metrics ?? []) {
    if (m.value !== undefined && Object.entries(labels).every(([key, value]) => m.labels?.[key] === value))
      total += Number(m.value);
  }
  return total;
}
