/**
 * When a child is restarted, and after how long: systemd's Restart=, RestartSec=, RestartSteps=,
 * RestartMaxDelaySec=, StartLimitBurst= and StartLimitIntervalSec=, as pure functions. No timers and
 * no I/O here: the caller passes the clock in, so every rule is a row in a table test.
 */
import type { ExitRecord, ExitResult } from './exit-record.js';

export const RESTART_MODES = ['no', 'on-failure', 'always'] as const;
export type RestartMode = (typeof RESTART_MODES)[number];

export interface RestartPolicy {
  restart: RestartMode;
  /** First delay before a restart. */
  restartSecMs: number;
  /** Steps over which the delay grows geometrically from restartSec to restartMaxDelay; 0: constant. */
  restartSteps: number;
  restartMaxDelayMs: number;
  /** At most this many starts … */
  startLimitBurst: number;
  /** … within this window; one more is `start-limit-hit`. */
  startLimitIntervalMs: number;
}

/** Exits that someone asked for: never restarted, whatever the mode. */
const PLANNED: ReadonlySet<ExitResult> = new Set(['session-end', 'idle', 'ttl', 'shutdown']);

/** Exits that count as failures for `on-failure` (systemd: non-zero code, signal, timeout, watchdog). */
const FAILURES: ReadonlySet<ExitResult> = new Set(['exit-code', 'signal', 'timeout', 'memory', 'spawn-failed']);

export function shouldRestart(mode: RestartMode, exit: Pick<ExitRecord, 'result'>): boolean {
  if (PLANNED.has(exit.result)) return false;
  if (mode === 'always') return true;
  if (mode === 'on-failure') return FAILURES.has(exit.result);
  return false;
}

/**
 * The delay before restart number `attempt` (0 for the first): restartSec, growing geometrically so
 * that it reaches restartMaxDelay after restartSteps steps, then stays there.
 */
export function nextRestartDelay(policy: RestartPolicy, attempt: number): number {
  const { restartSecMs, restartMaxDelayMs, restartSteps } = policy;
  if (restartSteps <= 0 || restartMaxDelayMs <= restartSecMs || attempt <= 0) return restartSecMs;
  if (attempt >= restartSteps) return restartMaxDelayMs;
  if (restartSecMs <= 0) return Math.round((restartMaxDelayMs * attempt) / restartSteps);
  const ratio = restartMaxDelayMs / restartSecMs;
  return Math.round(restartSecMs * ratio ** (attempt / restartSteps));
}

/**
 * The start-limit window: `starts` holds the times of recent starts. Returns whether a start at
 * `now` is allowed and the window to keep (only starts inside the interval matter).
 */
export function admitStart(
  starts: readonly number[],
  now: number,
  policy: Pick<RestartPolicy, 'startLimitBurst' | 'startLimitIntervalMs'>,
): { allowed: boolean; starts: number[] } {
  const recent = starts.filter((time) => now - time < policy.startLimitIntervalMs);
  if (policy.startLimitBurst > 0 && recent.length >= policy.startLimitBurst) return { allowed: false, starts: recent };
  return { allowed: true, starts: [...recent, now] };
}
