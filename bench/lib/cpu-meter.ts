/**
 * The CPU a bridge spends of its own (user + system, its children excluded) over a phase's
 * measured part, per call. On a shared machine a wall-clock figure moves with everyone else's
 * load; a process's CPU time moves much less, so it is the figure an A/B of the relay trusts.
 */
import { execFileSync } from 'node:child_process';
import { cpuTicksOf } from './process-table.js';

function ticksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isFinite(ticks) && ticks > 0) return ticks;
  } catch {
    // No getconf: Linux's USER_HZ is 100 nearly everywhere.
  }
  return 100;
}

const MICROS_PER_TICK = 1e6 / ticksPerSecond();

/**
 * Starts measuring `pid` (undefined for the floor, which has no bridge); the function returned
 * gives `{ cpuPerCall }` in µs for `calls` calls, or nothing when there is no bridge to measure.
 */
export function startCpuMeter(pid: number | undefined): (calls: number) => { cpuPerCall?: number } {
  const start = pid === undefined ? undefined : cpuTicksOf(pid);
  return (calls) => {
    const end = pid === undefined ? undefined : cpuTicksOf(pid);
    if (start === undefined || end === undefined || calls === 0) return {};
    return { cpuPerCall: ((end - start) * MICROS_PER_TICK) / calls };
  };
}
