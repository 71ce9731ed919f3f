/**
 * Resident memory per process group, read from /proc in one pass (no shelling out). Each child
 * leads its own group, so a group's sum is the child's whole tree: the `npx` wrapper, the server,
 * and whatever they started, as the stop ladder sees it.
 */
import { readFileSync } from 'node:fs';
import { listPids, readStat } from './proc.js';

/** Bytes of RSS per process group id; empty where there is no /proc. */
export function rssByProcessGroup(): Map<number, number> {
  const totals = new Map<number, number>();
  for (const pid of listPids() ?? []) {
    const stat = readStat(pid);
    if (stat) totals.set(stat.pgid, (totals.get(stat.pgid) ?? 0) + rssBytes(pid));
  }
  return totals;
}

/** Resident bytes of one process; 0 for kernel threads, zombies, or one that just exited. */
function rssBytes(pid: string): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // It exited while we read it.
  }
}

export function procAvailable(): boolean {
  return listPids() !== undefined;
}
