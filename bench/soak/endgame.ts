/**
 * After the churn: idle reaping must leave only the warm spares, and SIGTERM must leave nothing
 * in the process table and exit 0. Every wait polls with a deadline.
 */
import { isAlive, processesTagged } from '../lib/process-table.js';
import { waitFor } from '../lib/wait.js';
import type { Check } from './checks.js';
import { stopSoakDaemon, type SoakDaemon } from './daemon.js';
import { readMetrics } from './metrics.js';
import { descendantsOf } from './sampler.js';

export interface EndgameSettings {
  idleTimeoutMs: number;
  poolMin: number;
  runTag: string;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T | undefined; seconds: number; error: string | undefined }> {
  const started = Date.now();
  try {
    return { value: await work(), seconds: (Date.now() - started) / 1000, error: undefined };
  } catch (error) {
    return { value: undefined, seconds: (Date.now() - started) / 1000, error: (error as Error).message };
  }
}

async function reapingChecks(daemon: SoakDaemon, settings: EndgameSettings): Promise<Check[]> {
  // A session idles --idle-timeout after its last traffic; the sweep runs within about as long again.
  const reapMs = settings.idleTimeoutMs * 4 + 60_000;
  const reaped = await timed(() => waitFor(async () => (await readMetrics(daemon.baseUrl)).sessionsActive === 0, { timeoutMs: reapMs, intervalMs: 250, what: 'sessions_active to reach 0' }));
  const sessionsLeft = (await readMetrics(daemon.baseUrl)).sessionsActive;
  const spares = await timed(() => waitFor(async () => {
    const metrics = await readMetrics(daemon.baseUrl);
    return descendantsOf(daemon.pid).length === settings.poolMin && metrics.children === settings.poolMin && metrics.spares === settings.poolMin;
  }, { timeoutMs: 30_000, intervalMs: 250, what: `${settings.poolMin} children, all spares` }));
  const metrics = await readMetrics(daemon.baseUrl);
  return [
    {
      name: 'idle sessions reaped', passed: reaped.error === undefined,
      measured: reaped.error === undefined ? `sessions_active 0 after ${reaped.seconds.toFixed(1)} s` : `sessions_active ${sessionsLeft} after ${reaped.seconds.toFixed(1)} s`,
      bound: `sessions_active 0 within ${reapMs / 1000} s of the churn's end`,
    },
    {
      name: 'only warm spares left', passed: spares.error === undefined,
      measured: `${descendantsOf(daemon.pid).length} descendant(s); children ${metrics.children}, spares ${metrics.spares}`,
      bound: `descendants = children = spares = --pool-min ${settings.poolMin}`,
    },
  ];
}

async function shutdownChecks(daemon: SoakDaemon, settings: EndgameSettings): Promise<Check[]> {
  const before = descendantsOf(daemon.pid);
  const exit = await stopSoakDaemon(daemon, 60_000);
  const gone = await timed(() => waitFor(() => before.every((pid) => !isAlive(pid)) && processesTagged(settings.runTag).length === 0, { timeoutMs: 15_000, intervalMs: 100, what: 'every descendant to exit' }));
  const left = [...new Set([...before.filter(isAlive), ...processesTagged(settings.runTag).map((entry) => entry.pid)])];
  return [
    { name: 'SIGTERM exit code', passed: exit?.code === 0, measured: exit === undefined ? 'no exit within 60 s (killed)' : String(exit.code), bound: '0' },
    {
      name: 'nothing left after SIGTERM', passed: gone.error === undefined && left.length === 0,
      measured: left.length === 0 ? `${before.length} descendant(s) before, none after` : `left: ${left.join(', ')}`,
      bound: 'no descendant alive, nothing carrying the run tag',
    },
  ];
}

export async function endgameChecks(daemon: SoakDaemon, settings: EndgameSettings): Promise<Check[]> {
  return [...await reapingChecks(daemon, settings), ...await shutdownChecks(daemon, settings)];
}
