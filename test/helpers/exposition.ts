/**
 * What `promtool check metrics` checks in a Prometheus text exposition (format 0.0.4), the parts
 * that matter to us, without promtool: parse-prometheus-text-format reads the text, the rules are
 * here. Every sample belongs to a family with HELP and TYPE; metric and label names are valid (and
 * snake_case); counters end in `_total`; no series appears twice; values and timestamps are
 * numbers; `le` and `quantile` appear only where they mean something; each histogram series has
 * ascending `le` buckets with non-decreasing counts, a `+Inf` bucket equal to `_count`, and `_sum`.
 * .ci/run still runs the real promtool on a live scrape (.ci/check-metrics).
 */
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

type MetricFamily = parsePrometheusTextFormat.MetricFamily;

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The line as written, for messages. */
  line: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// What Go's ParseFloat (promtool's parser) takes, hexadecimal aside: decimal or exponent notation,
// and Inf, Infinity, NaN in any case (prom-client writes NaN as "Nan").
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;
const TIMESTAMP = /^-?\d+$/;
const TYPES = new Set(['COUNTER', 'GAUGE', 'HISTOGRAM', 'SUMMARY']);
const SUFFIXES: Record<string, readonly string[]> = { HISTOGRAM: ['_bucket', '_sum', '_count'], SUMMARY: ['', '_sum', '_count'] };

function parseFloatText(text: string): number {
  const infinite = /^([+-]?)inf(?:inity)?$/i.exec(text);
  if (infinite) return infinite[1] === '-' ? -Infinity : Infinity;
  return Number(text); // NaN for any spelling of NaN, as it should be.
}

/**
 * Reads every sample line of `text` on its own: the library's family output folds a labelled
 * histogram's series into one bucket map and merges adjacent samples with equal labels, which would
 * hide exactly the faults looked for here. Lines it cannot read become problems.
 */
function readSampleLines(text: string): { samples: ExpositionSample[]; problems: string[] } {
  const samples: ExpositionSample[] = [];
  const problems: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let family: MetricFamily | undefined;
    try {
      // The trailing newline makes the library emit the family of the line's one sample.
      family = parsePrometheusTextFormat(`${line}\n`)[0];
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    const sample = family?.metrics[0];
    if (!family || !sample) {
      problems.push(`not a sample line: ${line}`);
      continue;
    }
    const value = sample.value ?? '';
    if (!FLOAT.test(value)) problems.push(`value "${value}" is not a number: ${line}`);
    if (sample.timestamp_ms !== undefined && !TIMESTAMP.test(sample.timestamp_ms)) problems.push(`timestamp "${sample.timestamp_ms}" is not an integer: ${line}`);
    samples.push({ name: family.name, labels: sample.labels ?? {}, value: parseFloatText(value), line });
  }
  return { samples, problems };
}

/** The samples of `text`; fails on a line that is not a readable sample. */
export function readSamples(text: string): ExpositionSample[] {
  const { samples, problems } = readSampleLines(text);
  assert.deepEqual(problems, [], `unreadable exposition lines:\n${problems.join('\n')}`);
  return samples;
}

function familyProblems(family: MetricFamily): string[] {
  const problems: string[] = [];
  const { name, type } = family;
  if (!METRIC_NAME.test(name)) problems.push(`invalid metric name "${name}"`);
  else if (name !== name.toLowerCase()) problems.push(`${name}: metric names should be snake_case`);
  if (family.help === '') problems.push(`${name}: no HELP`);
  if (type === 'UNTYPED') problems.push(`${name}: no TYPE`);
  else if (!TYPES.has(type)) problems.push(`${name}: unknown TYPE ${type.toLowerCase()}`);
  if (type === 'COUNTER' && !name.endsWith('_total')) problems.push(`${name}: counter names should end in _total`);
  return problems;
}

/** The family `name` belongs to: itself, or a histogram or summary it is a suffixed series of. */
function ownerOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      const family = name.endsWith(suffix) ? families.get(name.slice(0, name.length - suffix.length)) : undefined;
      if (family?.type === type) return family;
    }
  }
  const family = families.get(name);
  return family && !(family.type in SUFFIXES) ? family : undefined;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return JSON.stringify([name, ...Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

function sampleProblems(samples: ExpositionSample[], families: Map<string, MetricFamily>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { name, labels, line } of samples) {
    const owner = ownerOf(name, families);
    if (!owner) problems.push(`sample of no family declared for it: ${line}`);
    for (const label of Object.keys(labels)) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) problems.push(`invalid label name "${label}": ${line}`);
    }
    if ('le' in labels && !(owner?.type === 'HISTOGRAM' && name.endsWith('_bucket'))) problems.push(`"le" outside a histogram bucket: ${line}`);
    if ('quantile' in labels && owner?.type !== 'SUMMARY') problems.push(`"quantile" outside a summary: ${line}`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) problems.push(`a second sample of the same series: ${line}`);
    seen.add(key);
  }
  return problems;
}

interface HistogramSeries {
  name: string;
  buckets: { le: number; count: number; line: string }[];
  sum?: number;
  count?: number;
}

function histogramProblems(samples: ExpositionSample[], families: Map<string, MetricFamily>): string[] {
  const problems: string[] = [];
  const series = new Map<string, HistogramSeries>();
  for (const { name, labels, value, line } of samples) {
    const owner = ownerOf(name, families);
    if (owner?.type !== 'HISTOGRAM') continue;
    const { le, ...rest } = labels;
    const key = seriesKey(owner.name, rest);
    const one = series.get(key) ?? { name: `${owner.name}{${Object.entries(rest).map(([k, v]) => `${k}="${v}"`).join(',')}}`, buckets: [] };
    series.set(key, one);
    if (name.endsWith('_sum')) one.sum = value;
    else if (name.endsWith('_count')) one.count = value;
    else if (le === undefined || !FLOAT.test(le)) problems.push(`a bucket without a numeric "le": ${line}`);
    else one.buckets.push({ le: parseFloatText(le), count: value, line });
  }
  for (const { name, buckets, sum, count } of series.values()) {
    buckets.forEach((bucket, i) => {
      const previous = buckets[i - 1];
      if (previous && !(bucket.le > previous.le)) problems.push(`${name}: "le" not ascending: ${bucket.line}`);
      if (previous && bucket.count < previous.count) problems.push(`${name}: bucket count decreases: ${bucket.line}`);
    });
    const last = buckets.at(-1);
    if (last?.le !== Infinity) problems.push(`${name}: no +Inf bucket`);
    if (count === undefined) problems.push(`${name}: no _count`);
    else if (last?.le === Infinity && last.count !== count) problems.push(`${name}: the +Inf bucket (${last.count}) is not _count (${count})`);
    if (sum === undefined) problems.push(`${name}: no _sum`);
  }
  return problems;
}

/** A second HELP or TYPE line for one name: the library keeps the first and says nothing. */
function metadataProblems(text: string): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [, kind, name] of text.matchAll(/^[ \t]*# (HELP|TYPE) (\S+)/gm)) {
    const key = `${kind} ${name}`;
    if (seen.has(key)) problems.push(`${name as string}: a second ${kind as string} line`);
    seen.add(key);
  }
  return problems;
}

/** What is wrong with `text` as an exposition, one sentence each; [] when promtool would pass it. */
export function expositionProblems(text: string): string[] {
  let parsed: MetricFamily[];
  try {
    parsed = parsePrometheusTextFormat(text);
  } catch (error) {
    return [(error as Error).message];
  }
  const problems = metadataProblems(text);
  const families = new Map<string, MetricFamily>();
  for (const family of parsed) {
    // The library starts a new family whenever a line names another one: a name seen twice means
    // the family's lines are split apart, which promtool rejects.
    if (families.has(family.name)) problems.push(`${family.name}: its lines are not together`);
    problems.push(...familyProblems(family));
    families.set(family.name, family);
  }
  const { samples, problems: unreadable } = readSampleLines(text);
  return [...problems, ...unreadable, ...sampleProblems(samples, families), ...histogramProblems(samples, families)];
}

/** Fails with every problem listed unless `text` is an exposition promtool would pass. */
export function assertValidExposition(text: string): void {
  const problems = expositionProblems(text);
  assert.deepEqual(problems, [], `the /metrics exposition is not valid:\n${problems.join('\n')}`);
}
