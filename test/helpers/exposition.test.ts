/**
 * The exposition check of helpers/exposition.ts can fail: it passes a clean text (every kind of
 * family, escapes, a labelled histogram) and rejects each fault promtool would report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertValidExposition, expositionProblems, readSamples } from './exposition.js';

const CLEAN = `# HELP app_requests_total Requests handled.
# TYPE app_requests_total counter
app_requests_total{method="tools/call",outcome="success"} 3
app_requests_total{method="initialize",outcome="success"} 1
# HELP app_children Children by state.
# TYPE app_children gauge
app_children{state="running"} 1
app_children{state="spare",note="a \\"quoted\\" \\\\ value\\n"} 0
# HELP app_duration_seconds Time to answer.
# TYPE app_duration_seconds histogram
app_duration_seconds_bucket{le="0.1",method="a"} 1
app_duration_seconds_bucket{le="1",method="a"} 2
app_duration_seconds_bucket{le="+Inf",method="a"} 2
app_duration_seconds_sum{method="a"} 0.75
app_duration_seconds_count{method="a"} 2
app_duration_seconds_bucket{le="0.1",method="b"} 0
app_duration_seconds_bucket{le="1",method="b"} 0
app_duration_seconds_bucket{le="+Inf",method="b"} 5
app_duration_seconds_sum{method="b"} 12.5
app_duration_seconds_count{method="b"} 5
# HELP app_heap_bytes Heap size.
# TYPE app_heap_bytes gauge
app_heap_bytes 1.5e+07 1700000000000
# HELP app_lag_seconds Event loop lag (prom-client writes NaN as Nan).
# TYPE app_lag_seconds gauge
app_lag_seconds Nan
`;

/** CLEAN with `from` (which must be in it) replaced by `to`. */
function broken(from: string, to: string): string {
  assert.ok(CLEAN.includes(from), `CLEAN has no "${from}"`);
  return CLEAN.replace(from, to);
}

describe('the exposition check', () => {
  it('passes a clean exposition and reads its samples, escapes and +Inf included', () => {
    assert.deepEqual(expositionProblems(CLEAN), []);
    assertValidExposition(CLEAN);
    const samples = readSamples(CLEAN);
    assert.equal(samples.length, 16);
    assert.equal(samples.find((sample) => sample.labels.note !== undefined)?.labels.note, 'a "quoted" \\ value\n');
    assert.equal(samples.find((sample) => sample.labels.le === '+Inf' && sample.labels.method === 'b')?.value, 5);
    assert.ok(Number.isNaN(samples.find((sample) => sample.name === 'app_lag_seconds')?.value));
  });

  const faults: [what: string, text: string, expected: RegExp][] = [
    ['a counter not named _total',
      broken('# TYPE app_requests_total counter', '# TYPE app_requests_total counter\n# HELP app_restarts Restarts.\n# TYPE app_restarts counter\napp_restarts 2'),
      /app_restarts: counter names should end in _total/],
    ['a histogram bucket that decreases', broken('app_duration_seconds_bucket{le="1",method="a"} 2', 'app_duration_seconds_bucket{le="1",method="a"} 0'),
      /app_duration_seconds\{method="a"\}: bucket count decreases/],
    ['a sample without TYPE', broken('# TYPE app_heap_bytes gauge\n', ''), /app_heap_bytes: no TYPE/],
    ['a sample without HELP or TYPE', `${CLEAN}stray_metric 1\n`, /stray_metric: no HELP/],
    ['a family without HELP', broken('# HELP app_children Children by state.\n', ''), /app_children: no HELP/],
    ['"le" not ascending', broken('app_duration_seconds_bucket{le="1",method="b"} 0', 'app_duration_seconds_bucket{le="0.05",method="b"} 0'),
      /app_duration_seconds\{method="b"\}: "le" not ascending/],
    ['no +Inf bucket', broken('app_duration_seconds_bucket{le="+Inf",method="a"} 2\n', ''), /app_duration_seconds\{method="a"\}: no \+Inf bucket/],
    ['a +Inf bucket that is not _count', broken('app_duration_seconds_count{method="b"} 5', 'app_duration_seconds_count{method="b"} 6'),
      /the \+Inf bucket \(5\) is not _count \(6\)/],
    ['a histogram without _sum', broken('app_duration_seconds_sum{method="a"} 0.75\n', ''), /app_duration_seconds\{method="a"\}: no _sum/],
    ['a duplicate series', broken('app_children{state="running"} 1', 'app_children{state="running"} 1\napp_children{state="running"} 2'),
      /a second sample of the same series: app_children\{state="running"\} 2/],
    ['a duplicate series with its labels in another order',
      broken('app_requests_total{method="initialize",outcome="success"} 1', 'app_requests_total{outcome="success",method="tools/call"} 1'),
      /a second sample of the same series: app_requests_total\{outcome="success",method="tools\/call"\} 1/],
    ['a value that is not a number', broken('app_children{state="running"} 1', 'app_children{state="running"} one'), /value "one" is not a number/],
    ['a hexadecimal value', broken('app_children{state="running"} 1', 'app_children{state="running"} 0x10'), /value "0x10" is not a number/],
    ['a timestamp that is not an integer', broken('1.5e+07 1700000000000', '1.5e+07 soon'), /timestamp "soon" is not an integer/],
    ['an invalid metric name', broken('app_heap_bytes', 'app-heap-bytes'), /invalid metric name "app-heap-bytes"/],
    ['a camelCase metric name', broken('app_heap_bytes', 'appHeapBytes'), /appHeapBytes: metric names should be snake_case/],
    ['an invalid label name', broken('{state="running"}', '{"state"="running"}'), /Encountered invalid line|invalid label name/],
    ['a reserved label name', broken('{state="running"}', '{__state="running"}'), /invalid label name "__state"/],
    ['"le" on a gauge', broken('{state="running"}', '{state="running",le="1"}'), /"le" outside a histogram bucket/],
    ['a family split apart', `${CLEAN}app_requests_total{method="ping",outcome="success"} 1\n`, /app_requests_total: its lines are not together/],
    ['a second TYPE', broken('# TYPE app_heap_bytes gauge\n', '# TYPE app_heap_bytes gauge\n# TYPE app_heap_bytes counter\n'), /app_heap_bytes: a second TYPE line/],
    ['a second HELP', broken('# HELP app_heap_bytes Heap size.\n', '# HELP app_heap_bytes Heap size.\n# HELP app_heap_bytes Heap.\n'), /app_heap_bytes: a second HELP line/],
    ['an unknown TYPE', broken('# TYPE app_heap_bytes gauge', '# TYPE app_heap_bytes meter'), /app_heap_bytes: unknown TYPE meter/],
  ];
  for (const [what, text, expected] of faults) {
    it(`rejects ${what}`, () => {
      const problems = expositionProblems(text);
      assert.ok(problems.some((problem) => expected.test(problem)), `expected ${String(expected)} among:\n${problems.join('\n') || '(no problems)'}`);
      assert.throws(() => assertValidExposition(text), /the \/metrics exposition is not valid/);
    });
  }
});
