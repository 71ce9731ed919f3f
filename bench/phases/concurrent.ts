/**
 * Concurrency: N sessions, each with M requests in flight all the time (closed loop), for
 * throughput, latency under load, and errors (counted, not thrown: a bridge that drops requests
 * under load is a finding).
 */
import { performance } from 'node:perf_hooks';
import type { McpSession } from '../client/session.js';
import { monotonicMicros } from '../lib/clock.js';
import { startCpuMeter } from '../lib/cpu-meter.js';
import { percentile } from '../lib/stats.js';
import { callEcho, closeSessions, openSessions } from './drive.js';
import { CPU_PER_CALL, exceptWarm, type Phase, type PhaseResult } from './phase.js';

async function drive(sessions: readonly McpSession[], inFlight: number, perSlot: number, pid: number | undefined): Promise<PhaseResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const slot = async (session: McpSession, index: number): Promise<void> => {
    for (let i = 0; i < perSlot; i++) {
      const start = performance.now();
      try {
        await callEcho(session, `slot ${index} call ${i}`);
        latencies.push(performance.now() - start);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const begin = monotonicMicros();
  const cpu = startCpuMeter(pid);
  const start = performance.now();
  await Promise.all(sessions.flatMap((session, s) => Array.from({ length: inFlight }, (_, m) => slot(session, s * inFlight + m))));
  const seconds = (performance.now() - start) / 1000;
  return {
    metrics: { throughput: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, ...cpu(latencies.length) },
    errors,
    window: { start: begin, end: monotonicMicros() },
    ...(firstError === undefined ? {} : { firstError }),
  };
}

export const concurrentPhase: Phase = {
  name: 'concurrent',
  title: 'Sessions × requests in flight',
  method: (counts) =>
    `${counts.concurrentSessions} sessions × ${counts.concurrentInFlight} echo calls in flight each (closed loop, ${counts.concurrentPerSlot} calls per slot, ${counts.concurrentSessions * counts.concurrentInFlight * counts.concurrentPerSlot} in all) after one warm-up call per slot; throughput counts answered calls over the wall time.`,
  metrics: [
    { key: 'throughput', label: 'throughput', unit: 'calls/s', better: 'higher', ratios: true, digits: 0 },
    { key: 'p50', label: 'p50', unit: 'ms', better: 'lower', ratios: true, digits: 2 },
    { key: 'p99', label: 'p99', unit: 'ms', better: 'lower', ratios: false, digits: 2 },
    { key: 'errors', label: 'errors', unit: '', better: 'lower', ratios: false, digits: 0 },
    CPU_PER_CALL,
  ],
  appliesTo: exceptWarm,
  async run(target, counts) {
    const sessions = await openSessions(target, counts.concurrentSessions);
    try {
      await Promise.all(sessions.flatMap((session) => Array.from({ length: counts.concurrentInFlight }, () => callEcho(session))));
      return await drive(sessions, counts.concurrentInFlight, counts.concurrentPerSlot, target.pid);
    } finally {
      await closeSessions(sessions);
    }
  },
};
