/**
 * The restart policy as the pure functions it is: every mode against every exit result, the
 * backoff curve (first attempt, each step, past the last step, the degenerate settings) and the
 * start-limit window as it slides. Tables in, no timers, no processes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExitResult } from '../../src/supervisor/exit-record.js';
import { admitStart, nextRestartDelay, RESTART_MODES, shouldRestart, type RestartMode, type RestartPolicy } from '../../src/supervisor/restart-policy.js';

/** Every exit result there is; the table below must have a row for each. */
const RESULTS: readonly ExitResult[] = [
  'success', 'exit-code', 'signal', 'spawn-failed', 'timeout', 'memory', 'session-end', 'idle', 'ttl', 'shutdown',
];

// systemd's table (Restart=): `no` never; `on-failure` on a non-zero code, a signal, a timeout, the
// watchdog, or a start that failed; `always` also on a clean exit. An exit someone asked for
// (session end, idle, ttl, shutdown) is never restarted.
const RESTARTS: Record<ExitResult, Record<RestartMode, boolean>> = {
  'success': { 'no': false, 'on-failure': false, 'always': true },
  'exit-code': { 'no': false, 'on-failure': true, 'always': true },
  'signal': { 'no': false, 'on-failure': true, 'always': true },
  'spawn-failed': { 'no': false, 'on-failure': true, 'always': true },
  'timeout': { 'no': false, 'on-failure': true, 'always': true },
  'memory': { 'no': false, 'on-failure': true, 'always': true },
  'session-end': { 'no': false, 'on-failure': false, 'always': false },
  'idle': { 'no': false, 'on-failure': false, 'always': false },
  'ttl': { 'no': false, 'on-failure': false, 'always': false },
  'shutdown': { 'no': false, 'on-failure': false, 'always': false },
};

function policy(overrides: Partial<RestartPolicy>): RestartPolicy {
  return {
    restart: 'on-failure',
    restartSecMs: 100,
    restartSteps: 3,
    restartMaxDelayMs: 800,
    startLimitBurst: 3,
    startLimitIntervalMs: 1000,
    ...overrides,
  };
}

describe('shouldRestart', () => {
  it('has a row for every exit result and every mode', () => {
    assert.deepEqual(Object.keys(RESTARTS).sort(), [...RESULTS].sort());
    assert.deepEqual([...RESTART_MODES].sort(), ['always', 'no', 'on-failure']);
  });

  for (const result of RESULTS) {
    for (const mode of RESTART_MODES) {
      const expected = RESTARTS[result][mode];
      it(`--restart ${mode} after ${result}: ${expected ? 'restart' : 'no restart'}`, () => {
        assert.equal(shouldRestart(mode, { result }), expected);
      });
    }
  }
});

describe('nextRestartDelay', () => {
  // [label, policy, attempt, expected ms]
  const rows: [string, Partial<RestartPolicy>, number, number][] = [
    // 100ms → 800ms over 3 steps: ×2 per step.
    ['first restart is restartSec', {}, 0, 100],
    ['one step up', {}, 1, 200],
    ['two steps up', {}, 2, 400],
    ['the last step reaches the max', {}, 3, 800],
    ['beyond the steps it stays at the max', {}, 4, 800],
    ['far beyond the steps it stays at the max', {}, 1000, 800],
    ['a negative attempt is the first', {}, -1, 100],
    // The defaults (100ms → 10s over 5 steps): ×100^(1/5) per step, rounded to the ms.
    ['defaults, attempt 0', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 0, 100],
    ['defaults, attempt 1', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 1, 251],
    ['defaults, attempt 2', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 2, 631],
    ['defaults, attempt 3', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 3, 1585],
    ['defaults, attempt 4', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 4, 3981],
    ['defaults, attempt 5', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 5, 10_000],
    ['defaults, attempt 6', { restartSecMs: 100, restartSteps: 5, restartMaxDelayMs: 10_000 }, 6, 10_000],
    // restartSteps 0: constant.
    ['steps 0, attempt 0', { restartSteps: 0 }, 0, 100],
    ['steps 0, attempt 5', { restartSteps: 0 }, 5, 100],
    // A max at or below restartSec: constant restartSec (the max does not lower it).
    ['max equal to restartSec', { restartMaxDelayMs: 100 }, 2, 100],
    ['max below restartSec', { restartMaxDelayMs: 50 }, 2, 100],
    // restartSec 0: no geometric growth from zero, so it grows linearly to the max.
    ['restartSec 0, attempt 0', { restartSecMs: 0, restartSteps: 4, restartMaxDelayMs: 1000 }, 0, 0],
    ['restartSec 0, attempt 1', { restartSecMs: 0, restartSteps: 4, restartMaxDelayMs: 1000 }, 1, 250],
    ['restartSec 0, attempt 3', { restartSecMs: 0, restartSteps: 4, restartMaxDelayMs: 1000 }, 3, 750],
    ['restartSec 0, attempt 4', { restartSecMs: 0, restartSteps: 4, restartMaxDelayMs: 1000 }, 4, 1000],
    ['restartSec 0, attempt 9', { restartSecMs: 0, restartSteps: 4, restartMaxDelayMs: 1000 }, 9, 1000],
    // One step: straight from restartSec to the max.
    ['one step, attempt 0', { restartSteps: 1 }, 0, 100],
    ['one step, attempt 1', { restartSteps: 1 }, 1, 800],
    // Restart at once, every time.
    ['all zero', { restartSecMs: 0, restartSteps: 0, restartMaxDelayMs: 0 }, 3, 0],
  ];

  for (const [label, overrides, attempt, expected] of rows) {
    it(`${label}: attempt ${attempt} → ${expected}ms`, () => {
      assert.equal(nextRestartDelay(policy(overrides), attempt), expected);
    });
  }

  it('never shrinks from one attempt to the next and never passes the max', () => {
    for (const overrides of [{}, { restartSteps: 5, restartMaxDelayMs: 10_000 }, { restartSecMs: 0 }, { restartSteps: 7, restartMaxDelayMs: 1234 }]) {
      const p = policy(overrides);
      let previous = -1;
      for (let attempt = 0; attempt <= p.restartSteps + 3; attempt++) {
        const delay = nextRestartDelay(p, attempt);
        assert.ok(delay >= previous, `attempt ${attempt} of ${JSON.stringify(overrides)}: ${delay} < ${previous}`);
        assert.ok(delay <= Math.max(p.restartSecMs, p.restartMaxDelayMs));
        previous = delay;
      }
    }
  });
});

describe('admitStart (the start-limit window)', () => {
  const limit = { startLimitBurst: 3, startLimitIntervalMs: 1000 };

  // [label, starts before, now, allowed, starts after]
  const rows: [string, number[], number, boolean, number[]][] = [
    ['the first start', [], 0, true, [0]],
    ['a second start', [0], 100, true, [0, 100]],
    ['the third start fills the burst', [0, 100], 200, true, [0, 100, 200]],
    ['a fourth inside the window is refused, and not counted', [0, 100, 200], 300, false, [0, 100, 200]],
    ['one ms before the oldest ages out: still refused', [0, 100, 200], 999, false, [0, 100, 200]],
    ['the oldest ages out exactly at the interval: allowed', [0, 100, 200], 1000, true, [100, 200, 1000]],
    ['the window slides on: the next one is refused again', [100, 200, 1000], 1050, false, [100, 200, 1000]],
    ['two age out at once', [100, 200, 1000], 1250, true, [1000, 1250]],
    ['everything aged out', [0, 100, 200], 5000, true, [5000]],
    ['stale entries are dropped even when refused', [-5000, 0, 100, 200], 300, false, [0, 100, 200]],
  ];

  for (const [label, before, now, allowed, afterStarts] of rows) {
    it(label, () => {
      const frozen = Object.freeze([...before]);
      const verdict = admitStart(frozen, now, limit);
      assert.equal(verdict.allowed, allowed);
      assert.deepEqual(verdict.starts, afterStarts);
      assert.deepEqual(frozen, before, 'the input is not modified');
    });
  }

  it('with --start-limit-burst 0 admits every start', () => {
    let starts: number[] = [];
    for (let now = 0; now < 50; now++) {
      const verdict = admitStart(starts, now, { startLimitBurst: 0, startLimitIntervalMs: 1000 });
      assert.equal(verdict.allowed, true);
      starts = verdict.starts;
    }
  });

  it('a crash loop, start by start: admitted up to the burst, refused inside the window, admitted as it slides', () => {
    // A child that crashes 10ms after each start; the caller feeds the window back in each time.
    let starts: number[] = [];
    const verdicts: [number, boolean][] = [];
    for (const now of [0, 10, 20, 30, 40, 1005, 1015, 1016, 2040]) {
      const verdict = admitStart(starts, now, limit);
      starts = verdict.starts;
      verdicts.push([now, verdict.allowed]);
    }
    assert.deepEqual(verdicts, [
      [0, true], [10, true], [20, true], [30, false], [40, false],
      // 1005: the start at 0 aged out; 1015: the one at 10 too; 1016: 20 is still inside.
      [1005, true], [1015, true], [1016, false], [2040, true],
    ]);
  });
});
