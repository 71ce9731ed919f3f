/**
 * A 2026-07-28 tools/call next to the session path: (a) sequential echo calls over the modern
 * path and over a session of the same daemon, interleaved call by call, so each round's ratio
 * compares calls made side by side; (b) the first modern request of a new principal, with a warm
 * pool against the cold spawn path (modern-first.ts). Ratios are taken within the round.
 */
import { performance } from 'node:perf_hooks';
import { HttpEndpoint } from '../client/http-endpoint.js';
import { ModernClient } from '../client/modern-client.js';
import type { McpSession } from '../client/session.js';
import { monotonicMicros, type Window } from '../lib/clock.js';
import { percentile } from '../lib/stats.js';
import { POOL_MIN } from '../targets/mcp-sidecar.js';
import type { RunningTarget } from '../targets/target.js';
import { callEcho, withSession } from './drive.js';
import { timeFirstRequests } from './modern-first.js';
import type { Counts } from './counts.js';
import type { Phase } from './phase.js';

interface Sequential {
  session: number[];
  modern: number[];
  window: Window;
}

async function timed(client: McpSession, into: number[]): Promise<void> {
  const start = performance.now();
  await callEcho(client);
  into.push(performance.now() - start);
}

/** Session and modern calls alternating in ABBA order, so neither always goes first. */
async function timeSequential(target: RunningTarget, counts: Counts): Promise<Sequential> {
  if (target.url === undefined) throw new Error(`${target.name} has no HTTP endpoint`);
  const endpoint = new HttpEndpoint(target.url);
  try {
    const modern = new ModernClient(endpoint);
    return await withSession(target, async (session) => {
      // The first modern call opens the anonymous principal's lease: warm-up, not measured.
      for (let i = 0; i < counts.modernWarmup; i++) {
        await callEcho(session);
        await callEcho(modern);
      }
      const times: Sequential = { session: [], modern: [], window: { start: monotonicMicros(), end: 0 } };
      for (let i = 0; i < counts.modernRequests; i++) {
        const sessionFirst = i % 4 === 0 || i % 4 === 3;
        await timed(sessionFirst ? session : modern, sessionFirst ? times.session : times.modern);
        await timed(sessionFirst ? modern : session, sessionFirst ? times.modern : times.session);
      }
      times.window.end = monotonicMicros();
      return times;
    });
  } finally {
    endpoint.close();
  }
}

export const modernPhase: Phase = {
  name: 'modern',
  title: 'A 2026-07-28 tools/call',
  method: (counts) =>
    `(a) one daemon: a session and a 2026-07-28 client (no session; \`_meta\` envelope, MCP-Protocol-Version, Mcp-Method and Mcp-Name headers) make echo calls in turn, ${counts.modernWarmup} warm-up calls each, then ${counts.modernRequests} each, alternating ABBA, each timed; "÷ session" is the modern p50 over the session p50 of the same run. ` +
    `(b) two more daemons with \`--auth-tokens-file\`, one with \`--pool-min ${POOL_MIN}\` (warm), one without (cold): ${counts.modernPrincipals} principals each (after one unmeasured), each timed from its first POST, a tools/call that opens its lease (a spare or a spawn, initialize, the call), to the checked answer (200, \`resultType: "complete"\`, the text sent back); samples alternate between the daemons, each at rest (spares loaded, no CPU) before its sample; "warm ÷ cold" is the ratio of the two p50s.`,
  metrics: [
    { key: 'sessionP50', label: 'session p50', unit: 'ms', better: 'lower', ratios: false, digits: 3 },
    { key: 'modernP50', label: 'modern p50', unit: 'ms', better: 'lower', ratios: false, digits: 3 },
    { key: 'modernOverSession', label: 'modern ÷ session p50', unit: '', better: 'lower', ratios: false, digits: 3 },
    { key: 'modernP99', label: 'modern p99', unit: 'ms', better: 'lower', ratios: false, digits: 3 },
    { key: 'firstWarm', label: 'first request warm p50', unit: 'ms', better: 'lower', ratios: false, digits: 1 },
    { key: 'firstCold', label: 'first request cold p50', unit: 'ms', better: 'lower', ratios: false, digits: 1 },
    { key: 'warmOverCold', label: 'warm ÷ cold', unit: '', better: 'lower', ratios: false, digits: 3 },
  ],
  // The daemon's own paths compared with each other: the peers and the floor have no 2026 path.
  appliesTo: (target) => target === 'mcp-sidecar',
  async run(target, counts) {
    const sequential = await timeSequential(target, counts);
    const first = await timeFirstRequests(target, counts.modernPrincipals);
    const sessionP50 = percentile(sequential.session, 50);
    const modernP50 = percentile(sequential.modern, 50);
    const firstWarm = percentile(first.warm, 50);
    const firstCold = percentile(first.cold, 50);
    return {
      metrics: { sessionP50, modernP50, modernOverSession: modernP50 / sessionP50, modernP99: percentile(sequential.modern, 99), firstWarm, firstCold, warmOverCold: firstWarm / firstCold },
      errors: 0,
      window: sequential.window,
    };
  },
};
