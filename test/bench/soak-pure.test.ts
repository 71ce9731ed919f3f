/** The soak's pure parts: its options, its schedule and its flatness checks (no daemon started). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { churnChecks, thirdsOf } from '../../bench/soak/checks.js';
import { parseOptions, UsageError } from '../../bench/soak/options.js';
import type { Operation } from '../../bench/soak/ops/operation.js';
import { Outcomes } from '../../bench/soak/outcomes.js';
import type { Sample } from '../../bench/soak/sampler.js';
import { scheduleOf } from '../../bench/soak/workers.js';

function sample(t: number, rssMiB: number, fds: number): Sample {
  return { t, rssKiB: rssMiB * 1024, fds, descendants: 2, metrics: undefined, load1: 0 };
}

function operation(name: string, weight: number): Operation {
  return { name, transport: 'websocket', weight, run: () => Promise.resolve('ok') };
}

test('soak options: durations as the daemon writes them, the sampling interval follows the duration', () => {
  assert.deepEqual(parseOptions(['--duration', '1h']), { durationMs: 3_600_000, workers: 6, out: undefined, sampleEveryMs: 10_000, keepLogs: false });
  assert.equal((parseOptions(['--duration', '60s']) as { sampleEveryMs: number }).sampleEveryMs, 2000);
  assert.equal((parseOptions(['--duration', '10m', '--workers', '3']) as { workers: number }).workers, 3);
  for (const argv of [['--duration', 'soon'], ['--duration', 'infinity'], ['--workers', '0'], ['--workers', '33'], ['--bogus']]) {
    assert.throws(() => parseOptions(argv), UsageError, argv.join(' '));
  }
});

test('soak schedule: each operation weight times, heavy ones spread out', () => {
  const names = scheduleOf([operation('a', 3), operation('b', 1), operation('c', 2)]).map((op) => op.name);
  assert.deepEqual(names, ['a', 'b', 'c', 'a', 'c', 'a']);
});

test('soak checks: flat passes, growth past the bounds fails, any unexpected answer fails', () => {
  const flat = Array.from({ length: 9 }, (_, i) => sample(i, 100, 50));
  assert.deepEqual(thirdsOf(flat).first.map((s) => s.t), [0, 1, 2]);
  assert.deepEqual(thirdsOf(flat).last.map((s) => s.t), [6, 7, 8]);
  const outcomes = new Outcomes();
  outcomes.expected('ws.session', 'ok');
  assert.ok(churnChecks(flat, outcomes).every((check) => check.passed));

  // 100 MiB × 1.25 + 20 = 145 MiB; 50 fds + 20 = 70.
  const grown = flat.map((s, i) => (i >= 6 ? sample(s.t, 146, 71) : s));
  const failed = churnChecks(grown, outcomes).filter((check) => !check.passed).map((check) => check.name);
  assert.deepEqual(failed, ['daemon RSS flat', 'daemon fds flat']);

  outcomes.unexpectedAnswer('http.crash', 1, 'crash answered code -32603');
  assert.equal(churnChecks(flat, outcomes).find((check) => check.name === 'unexpected answers')?.passed, false);
});
