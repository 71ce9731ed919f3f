/**
 * Resident memory per process group, read from /proc in one pass (no shelling out). Each child
 * leads its own group, so a group's sum is the child's whole tree: the `npx` wrapper, the server,
 * and whatever they started, as the stop ladder sees it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Bytes of RSS per process group id; empty where there is no /proc. */
export function rssByProcessGroup(): Map<number, number> {
  const totals = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return totals; // Not Linux: the watchdog reports that it cannot measure.
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const sample = readProcess(entry);
    if (sample) totals.set(sample.pgid, (totals.get(sample.pgid) ?? 0) + sample.rssBytes);
  }
  return totals;
}

function readProcess(pid: string): { pgid: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3)[2]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    // Kernel threads and zombies have no VmRSS line: they hold no user memory.
    return { pgid, rssBytes: match ? Number(match[1]) * 1024 : 0 };
  } catch {
    return undefined; // It exited while we read it.
  }
}

export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
