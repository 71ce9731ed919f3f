/**
 * CLOCK_MONOTONIC in microseconds: the clock V8 stamps .cpuprofile samples with on Linux, so a
 * phase's measured window can be cut out of the daemon's profile (startup and shutdown left out).
 */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A span of monotonicMicros(). */
export interface Window {
  start: number;
  end: number;
}

/** Runs `work` and reports the window it took. */
export async function timedWindow<T>(work: () => Promise<T>): Promise<{ value: T; window: Window }> {
  const start = monotonicMicros();
  const value = await work();
  return { value, window: { start, end: monotonicMicros() } };
}
