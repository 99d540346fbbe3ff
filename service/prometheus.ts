/**
 * A small Prometheus registry and text exposition (format 0.0.4). Hand-written instead of
 * prom-client so the per-request cost stays a few map lookups and array increments; label
 * children are cached, so hot paths can hold on to them.
 */

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Metric {
  readonly name: string;
  render(): string;
}

export class Registry {
  readonly #metrics = new Map<string, Metric>();
  readonly #collectors: (() => void)[] = [];

  register<T extends Metric>(metric: T): T {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** Runs before every exposition, to refresh gauges computed on demand. */
  onCollect(collect: () => void): void {
    this.#collectors.push(collect);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.register(new Histogram(name, help, buckets, labelNames));
  }

  render(): string {
    for (const collect of this.#collectors) collect();
    let out = '';
    for (const metric of this.#metrics.values()) out += metric.render();
    return out;
  }
}

abstract class Family<Child> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly children = new Map<string, { labels: string; values: string[]; child: Child }>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!NAME_PATTERN.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a valid Prometheus name`);
    for (const label of labelNames) {
      if (!LABEL_PATTERN.test(label) || label.startsWith('__'))
        throw new Error(`metric ${name}: label name ${JSON.stringify(label)} is not valid`);
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected abstract create(): Child;
  protected abstract type(): string;
  protected abstract renderChild(labels: string, child: Child): string;

  /** The child for these label values (in `labelNames` order); cache it on hot paths. */
  labels(...values: string[]): Child {
    const key = values.length === 1 ? values[0] : values.join('\u0000');
    const found = this.children.get(key);
    if (found) return found.child;
    if (values.length !== this.labelNames.length) {
      throw new Error(`metric ${this.name} takes labels (${this.labelNames.join(', ')}), got ${values.length} values`);
    }
    const child = this.create();
    this.children.set(key, { labels: formatLabels(this.labelNames, values), values, child });
    return child;
  }

  /** Every labelled series: its label values (in `labelNames` order) and its child. */
  series(): { values: readonly string[]; child: Child }[] {
    return [...this.children.values()].map(({ values, child }) => ({ values, child }));
  }

  /** Drops one labelled series (e.g. the info series of a model no longer served). */
  remove(...values: string[]): void {
    this.children.delete(values.length === 1 ? values[0] : values.join('\u0000'));
  }

  clear(): void {
    this.children.clear();
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type()}\n`;
    for (const { labels, child } of this.children.values()) out += this.renderChild(labels, child);
    return out;
  }
}

export interface CounterChild {
  value: number;
  inc(by?: number): void;
}

function counterChild(): CounterChild {
  return {
    value: 0,
    inc(by = 1) {
      this.value += by;
    },
  };
}

export class Counter extends Family<CounterChild> {
  protected create(): CounterChild {
    return counterChild();
  }
  protected type(): string {
    return 'counter';
  }
  protected renderChild(labels: string, child: CounterChild): string {
    return `${this.name}${labels} ${formatValue(child.value)}\n`;
  }
  /** For a metric without labels. */
  inc(by = 1): void {
    this.labels().inc(by);
  }
}

export interface GaugeChild {
  value: number;
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
}

function gaugeChild(): GaugeChild {
  return {
    value: 0,
    set(value) {
      this.value = value;
    },
    inc(by = 1) {
      this.value += by;
    },
    dec(by = 1) {
      this.value -= by;
    },
  };
}

export class Gauge extends Family<GaugeChild> {
  protected create(): GaugeChild {
    return gaugeChild();
  }
  protected type(): string {
    return 'gauge';
  }
  protected renderChild(labels: string, child: GaugeChild): string {
    return `${this.name}${labels} ${formatValue(child.value)}\n`;
  }
  /** For a metric without labels. */
  set(value: number): void {
    this.labels().set(value);
  }
}

export interface HistogramChild {
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
  observe(value: number): void;
}

export class Histogram extends Family<HistogramChild> {
  readonly buckets: readonly number[];
  readonly #bucketLabels: string[];

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[]) {
    super(name, help, labelNames);
    if (labelNames.includes('le')) throw new Error(`histogram ${name}: "le" is reserved`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1]))
        throw new Error(`histogram ${name}: buckets must increase, got ${buckets.join(', ')}`);
    }
    this.buckets = buckets;
    this.#bucketLabels = [...buckets.map((b) => formatValue(b)), '+Inf'];
  }

  protected create(): HistogramChild {
    const buckets = this.buckets;
    const n = buckets.length;
    return {
      counts: new Float64Array(n + 1),
      sum: 0,
      count: 0,
      observe(value: number) {
        // A linear scan beats a binary search for the dozen buckets used here.
        let i = 0;
        while (i < n && value > buckets[i]) i++;
        this.counts[i]++;
        this.sum += value;
        this.count++;
      },
    };
  }
  protected type(): string {
    return 'histogram';
  }
  protected renderChild(labels: string, child: HistogramChild): string {
    const prefix = labels === '' ? '{' : `${labels.slice(0, -1)},`;
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < child.counts.length; i++) {
      cumulative += child.counts[i];
      out += `${this.name}_bucket${prefix}le="${this.#bucketLabels[i]}"} ${formatValue(cumulative)}\n`;
    }
    out += `${this.name}_sum${labels} ${formatValue(child.sum)}\n${this.name}_count${labels} ${formatValue(child.count)}\n`;
    return out;
  }
  /** For a metric without labels. */
  observe(value: number): void {
    this.labels().observe(value);
  }
}

function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((name, i) => `${name}="${escapeLabel(values[i])}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Exponential bucket bounds: start, start·factor, … (count values), rounded to 6 significant digits. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start * factor ** i).toPrecision(6)));
}

export function linearBuckets(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start + width * i).toPrecision(6)));
}
