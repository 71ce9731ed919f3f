/**
 * SeriesHistogram against prom-client's own Histogram: the same observations give the same
 * exposition and the same JSON, whatever the values (on a bound, past the last one, zero) and the
 * label values (quotes, backslashes, newlines).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from '../../src/observability/series-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];
const OBSERVATIONS: [string, number][] = [
  ['tools/call', 0.0005], ['tools/call', 0.001], ['tools/list', 0.05], ['tools/call', 0.01], ['initialize', 3],
  ['tools/call', 11], ['ping', 0], ['we"ird\\tool\n', 0.2], ['tools/call', 0.3], ['tools/list', 10], ['ping', 1e-9],
];

function both(): { prom: Registry; ours: Registry; observe(method: string, value: number): void } {
  const prom = new Registry();
  const ours = new Registry();
  const options = { name: 'app_duration_seconds', help: 'Time to answer.', labelNames: ['method'] as const, buckets: BUCKETS };
  const reference = new Histogram({ ...options, labelNames: [...options.labelNames], registers: [prom] });
  const tested = new SeriesHistogram({ ...options, registers: [ours] });
  return {
    prom,
    ours,
    observe: (method, value) => {
      reference.labels(method).observe(value);
      tested.series({ method }).observe(value);
    },
  };
}

describe('SeriesHistogram', () => {
  it('renders what prom-client\'s Histogram renders, as text and as JSON', async () => {
    const { prom, ours, observe } = both();
    assert.equal(await ours.metrics(), await prom.metrics()); // nothing observed yet
    for (const [method, value] of OBSERVATIONS) observe(method, value);
    assert.equal(await ours.metrics(), await prom.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await prom.getMetricsAsJSON());
    observe('tools/call', 0.002);
    assert.equal(await ours.metrics(), await prom.metrics());
  });

  it('lists a series once it is observed, not when it is taken', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['tool'], buckets: BUCKETS, registers: [registry] });
    const taken = histogram.series({ tool: 'a' });
    assert.equal(histogram.series({ tool: 'a' }), taken);
    assert.doesNotMatch(await registry.metrics(), /tool="a"/);
    taken.observe(0.5);
    assert.match(await registry.metrics(), /h_count\{tool="a"\} 1/);
  });

  it('refuses what prom-client refuses', () => {
    const histogram = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['tool'], buckets: BUCKETS, registers: [] });
    assert.throws(() => histogram.series({ tool: 'a' }).observe(Number.NaN), TypeError);
    assert.throws(() => histogram.series({ method: 'x' } as never), /not included in initial labelset/);
    assert.throws(() => new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: BUCKETS, registers: [] }), /reserved/);
  });
});
