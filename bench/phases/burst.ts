/**
 * A burst of sessions: N opened back to back, each as soon as the one before it is usable, with no
 * rest in between; all stay open until the last, then close. The warm pool's spares serve the first
 * few, and from there on the pool's refills and the sessions' own children share the machine: this
 * is where a pool could make a session wait longer than no pool at all.
 */
import { performance } from 'node:perf_hooks';
import type { McpSession } from '../client/session.js';
import { monotonicMicros } from '../lib/clock.js';
import { percentile } from '../lib/stats.js';
import { callEcho, closeSessions, settleIdle } from './drive.js';
import type { Phase } from './phase.js';

export const burstPhase: Phase = {
  name: 'burst',
  title: 'A burst of sessions',
  method: (counts) =>
    `from a target at rest (a full pool), ${counts.burstSessions} sessions opened one after another with no rest, each timed from its initialize POST to notifications/initialized accepted; all stay open until the last is, then each is proven with one echo and closed.`,
  metrics: [
    { key: 'p50', label: 'open p50', unit: 'ms', better: 'lower', ratios: true, digits: 1 },
    { key: 'p95', label: 'open p95', unit: 'ms', better: 'lower', ratios: true, digits: 1 },
  ],
  // The floor spawns in the bench process itself, and mcp-proxy shares one child: neither opens a session the way a bridge per session does.
  appliesTo: (target) => target !== 'floor' && target !== 'mcp-proxy',
  async run(target, counts) {
    await settleIdle(target);
    const sessions: McpSession[] = [];
    const times: number[] = [];
    const begin = monotonicMicros();
    try {
      for (let i = 0; i < counts.burstSessions; i++) {
        const start = performance.now();
        sessions.push(await target.openSession());
        times.push(performance.now() - start);
      }
      const window = { start: begin, end: monotonicMicros() };
      await Promise.all(sessions.map((session) => callEcho(session)));
      return { metrics: { p50: percentile(times, 50), p95: percentile(times, 95) }, errors: 0, window };
    } finally {
      await closeSessions(sessions);
    }
  },
};
