/**
 * Proportional set size from /proc/<pid>/smaps_rollup. PSS splits every shared page among the
 * processes that map it, so the sum over a process tree is what the tree costs the machine.
 * `pssAnon` is the anonymous part: heap, stacks, buffers. The daemon's own growth per session
 * is read from it, because the file-backed part of its PSS *falls* as each new node child maps
 * the same executable (the shared pages are split among more processes).
 */
import { readFileSync } from 'node:fs';

export interface Pss {
  /** KiB. */
  pss: number;
  /** KiB. */
  pssAnon: number;
}

const ZERO: Pss = { pss: 0, pssAnon: 0 };

function field(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** PSS of one process; zero when it is gone. */
export function pssOf(pid: number): Pss {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return ZERO; // Exited while we looked.
  }
  return { pss: field(text, 'Pss'), pssAnon: field(text, 'Pss_Anon') };
}

export function sumPss(pids: readonly number[]): Pss {
  return pids.map(pssOf).reduce((sum, one) => ({ pss: sum.pss + one.pss, pssAnon: sum.pssAnon + one.pssAnon }), ZERO);
}

/** Resident set size of one process (VmRSS), in KiB; zero when it is gone. */
export function rssOf(pid: number): number {
  try {
    return field(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
  } catch {
    return 0; // Exited while we looked.
  }
}
