/**
 * Sequential latency: one session, one small tools/call at a time, timed twice on the same
 * instance. First right after a short warm-up, while V8 is still optimizing the bridge's hot path
 * (a daemon's first few thousand calls after it starts: every bridge here is a Node program, and
 * each runs its relay code interpreted until TurboFan has seen enough of it); then at steady
 * state, after thousands more calls, which is where a long-running daemon serves. p50, p99 and CPU
 * are the steady figures; `p50 warming` is the first stretch's.
 */
import { performance } from 'node:perf_hooks';
import { monotonicMicros } from '../lib/clock.js';
import { startCpuMeter } from '../lib/cpu-meter.js';
import { percentile } from '../lib/stats.js';
import type { McpSession } from '../client/session.js';
import { callEcho, withSession } from './drive.js';
import { CPU_PER_CALL, exceptWarm, type Phase } from './phase.js';

async function timedCalls(session: McpSession, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await callEcho(session);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

export const sequentialPhase: Phase = {
  name: 'sequential',
  title: 'Sequential request latency',
  method: (counts) =>
    `one session; ${counts.sequentialWarmup} warm-up calls; ${counts.sequentialRequests} echo calls one after another, each timed (p50 warming); ` +
    `${counts.sequentialSettle} more untimed; then ${counts.sequentialRequests} timed at steady state (p50, p99, CPU).`,
  metrics: [
    { key: 'p50', label: 'p50', unit: 'ms', better: 'lower', ratios: true, digits: 3 },
    { key: 'p99', label: 'p99', unit: 'ms', better: 'lower', ratios: true, digits: 3 },
    CPU_PER_CALL,
    { key: 'p50Warming', label: 'p50 warming', unit: 'ms', better: 'lower', ratios: true, digits: 3 },
  ],
  appliesTo: exceptWarm,
  run: (target, counts) =>
    withSession(target, async (session) => {
      for (let i = 0; i < counts.sequentialWarmup; i++) await callEcho(session);
      const warming = await timedCalls(session, counts.sequentialRequests);
      for (let i = 0; i < counts.sequentialSettle; i++) await callEcho(session);
      const begin = monotonicMicros();
      const cpu = startCpuMeter(target.pid);
      const latencies = await timedCalls(session, counts.sequentialRequests);
      const window = { start: begin, end: monotonicMicros() };
      return {
        metrics: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...cpu(latencies.length), p50Warming: percentile(warming, 50) },
        errors: 0,
        window,
      };
    }),
};
