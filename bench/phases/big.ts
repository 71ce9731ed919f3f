/** Large results: one session, tools/call answers of 1 MiB of text, one after another. */
import { performance } from 'node:perf_hooks';
import type { McpSession } from '../client/session.js';
import { monotonicMicros } from '../lib/clock.js';
import { startCpuMeter } from '../lib/cpu-meter.js';
import { percentile } from '../lib/stats.js';
import { withSession } from './drive.js';
import { CPU_PER_CALL, exceptWarm, type Phase } from './phase.js';

const MIB = 1024 * 1024;

async function callBig(session: McpSession, bytes: number): Promise<void> {
  const text = await session.callTool('big', { bytes });
  if (text.length !== bytes) throw new Error(`big answered ${text.length} characters, expected ${bytes}`);
}

export const bigPhase: Phase = {
  name: 'big',
  title: '1 MiB results',
  method: (counts) => `one session; ${counts.bigWarmup} warm-up calls, then ${counts.bigCalls} calls of \`big\` answering ${counts.bigBytes / MIB} MiB of text each, one after another; MiB/s is result text over wall time.`,
  metrics: [
    { key: 'mibps', label: 'throughput', unit: 'MiB/s', better: 'higher', ratios: true, digits: 1 },
    { key: 'p50', label: 'call p50', unit: 'ms', better: 'lower', ratios: false, digits: 2 },
    CPU_PER_CALL,
  ],
  appliesTo: exceptWarm,
  run: (target, counts) =>
    withSession(target, async (session) => {
      for (let i = 0; i < counts.bigWarmup; i++) await callBig(session, counts.bigBytes);
      const latencies: number[] = [];
      const begin = monotonicMicros();
      const cpu = startCpuMeter(target.pid);
      const start = performance.now();
      for (let i = 0; i < counts.bigCalls; i++) {
        const callStart = performance.now();
        await callBig(session, counts.bigBytes);
        latencies.push(performance.now() - callStart);
      }
      const seconds = (performance.now() - start) / 1000;
      const window = { start: begin, end: monotonicMicros() };
      return { metrics: { mibps: (counts.bigCalls * counts.bigBytes) / MIB / seconds, p50: percentile(latencies, 50), ...cpu(counts.bigCalls) }, errors: 0, window };
    }),
};
