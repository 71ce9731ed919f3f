/**
 * Session setup: from the initialize POST to a usable session (initialize answered and
 * notifications/initialized accepted), one session at a time, each from a target at rest: a warm
 * pool has refilled and loaded its spare, the previous session's child is gone.
 */
import { performance } from 'node:perf_hooks';
import { percentile } from '../lib/stats.js';
import { callEcho, settleIdle } from './drive.js';
import type { Phase } from './phase.js';

export const setupPhase: Phase = {
  name: 'setup',
  title: 'Session setup',
  method: (counts) =>
    `${counts.setupSessions} sessions one after another; each timed from its initialize POST (or the floor's spawn) to notifications/initialized accepted, then proven with one echo and closed; the target comes back to rest (no leftover child, a refilled pool, no CPU) before the next.`,
  metrics: [
    { key: 'ready', label: 'ready p50', unit: 'ms', better: 'lower', ratios: true, digits: 1 },
    { key: 'readyP90', label: 'ready p90', unit: 'ms', better: 'lower', ratios: false, digits: 1 },
  ],
  appliesTo: () => true,
  async run(target, counts) {
    const times: number[] = [];
    for (let i = 0; i < counts.setupSessions; i++) {
      await settleIdle(target);
      const start = performance.now();
      const session = await target.openSession();
      times.push(performance.now() - start);
      try {
        await callEcho(session);
      } finally {
        await session.close();
      }
    }
    return { metrics: { ready: percentile(times, 50), readyP90: percentile(times, 90) }, errors: 0 };
  },
};
