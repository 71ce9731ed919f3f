/** Sequential latency: one session, one small tools/call at a time. */
import { performance } from 'node:perf_hooks';
import { monotonicMicros } from '../lib/clock.js';
import { startCpuMeter } from '../lib/cpu-meter.js';
import { percentile } from '../lib/stats.js';
import { callEcho, withSession } from './drive.js';
import { CPU_PER_CALL, exceptWarm, type Phase } from './phase.js';

export const sequentialPhase: Phase = {
  name: 'sequential',
  title: 'Sequential request latency',
  method: (counts) => `one session; ${counts.sequentialWarmup} warm-up calls, then ${counts.sequentialRequests} echo calls one after another, each timed.`,
  metrics: [
    { key: 'p50', label: 'p50', unit: 'ms', better: 'lower', ratios: true, digits: 3 },
    { key: 'p99', label: 'p99', unit: 'ms', better: 'lower', ratios: true, digits: 3 },
    CPU_PER_CALL,
  ],
  appliesTo: exceptWarm,
  run: (target, counts) =>
    withSession(target, async (session) => {
      for (let i = 0; i < counts.sequentialWarmup; i++) await callEcho(session);
      const latencies: number[] = [];
      const begin = monotonicMicros();
      const cpu = startCpuMeter(target.pid);
      for (let i = 0; i < counts.sequentialRequests; i++) {
        const start = performance.now();
        await callEcho(session);
        latencies.push(performance.now() - start);
      }
      const window = { start: begin, end: monotonicMicros() };
      return { metrics: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...cpu(latencies.length) }, errors: 0, window };
    }),
};
