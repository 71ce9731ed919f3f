/**
 * A histogram whose label sets are resolved once: `series(labels)` is called where the label values
 * become known and the series kept; its `observe()` is a bucket search and three additions.
 * prom-client's Histogram checks and hashes the labels, and allocates, on every observe() (through
 * a labels() child too), and the relay observes two per tool call.
 *
 * It sits in a prom-client Registry beside the other metrics and hands the Registry the values
 * prom-client's own Histogram does (cumulative `_bucket` samples with `le` first, then `+Inf`,
 * `_sum` and `_count`, series in the order of their first observation): the exposition is the same.
 */
import type { Histogram, LabelValues, Registry } from 'prom-client';

export interface SeriesHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** One label set of a SeriesHistogram. */
export class HistogramSeries<L extends string> {
  readonly labels: LabelValues<L>;
  /** Observations per bucket, not cumulative; one above the last bound counts in `count` only. */
  readonly inBucket: number[];
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];
  private readonly firstSeen: (series: HistogramSeries<L>) => void;
  private seen = false;

  constructor(labels: LabelValues<L>, bounds: readonly number[], firstSeen: (series: HistogramSeries<L>) => void) {
    this.labels = labels;
    this.bounds = bounds;
    this.inBucket = bounds.map(() => 0);
    this.firstSeen = firstSeen;
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (this.inBucket[i] as number)++;
        break;
      }
    }
    this.sum += value;
    this.count++;
    if (!this.seen) {
      this.seen = true;
      this.firstSeen(this);
    }
  }
}

interface Sample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class SeriesHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private readonly byKey = new Map<string, HistogramSeries<L>>();
  /** Series observed at least once, in that order: what is rendered. */
  private readonly observed: HistogramSeries<L>[] = [];

  constructor(options: SeriesHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    if ((options.labelNames as readonly string[]).includes('le')) throw new Error('le is a reserved label keyword');
    this.labelNames = options.labelNames;
    this.bounds = [...options.buckets];
    // The Registry reads name, help, type, aggregator and the values; that is all a metric is to it.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Histogram<L>);
  }

  /** The series of `labels`, the same object every time for the same values. */
  series(labels: LabelValues<L>): HistogramSeries<L> {
    for (const name of Object.keys(labels)) {
      if (!(this.labelNames as readonly string[]).includes(name)) throw new Error(`Added label "${name}" is not included in initial labelset: ${this.labelNames.join(', ')}`);
    }
    const key = JSON.stringify(this.labelNames.map((name) => labels[name]));
    let series = this.byKey.get(key);
    if (!series) {
      series = new HistogramSeries(labels, this.bounds, (first) => this.observed.push(first));
      this.byKey.set(key, series);
    }
    return series;
  }

  /** Zeroes every series (they stay listed, as after prom-client's zero()). */
  reset(): void {
    for (const series of this.byKey.values()) {
      series.inBucket.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  /** What the Registry renders as text: each sample's own labels, and its series' labels beside them. */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    for (const series of this.observed) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.inBucket[i] as number;
        values.push({ labels: { le: bound }, sharedLabels: series.labels as Record<string, string | number>, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
      });
      const shared = series.labels as Record<string, string | number>;
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: `${this.name}_bucket`, exemplar: null });
      values.push({ labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same values with each sample's labels and its series' labels in one object (prom-client's get()). */
  async get(): Promise<{ name: string; help: string; type: string; values: Omit<Sample, 'sharedLabels'>[]; aggregator: string }> {
    const { values, ...data } = await this.getForPromString();
    return { name: data.name, help: data.help, type: data.type, values: values.map(({ sharedLabels, labels, ...sample }) => ({ ...sample, labels: { ...labels, ...sharedLabels } })), aggregator: data.aggregator };
  }
}
