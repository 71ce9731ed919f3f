/**
 * The process table from /proc, read the one way the supervisor needs it: which processes exist,
 * and each one's state and process group. Linux only; `undefined` where there is no /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  /** One letter: R, S, D, Z (zombie), … */
  state: string;
  pgid: number;
}

/** Every pid in /proc, or `undefined` without procfs. */
export function listPids(): string[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined; // No procfs (not Linux): callers fall back or report it.
  }
  return entries.filter((entry) => entry.charCodeAt(0) >= 48 && entry.charCodeAt(0) <= 57);
}

/** State and group of one process, or `undefined` if it is gone. */
export function readStat(pid: string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): state, ppid, pgrp, …
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    return { state: state ?? '?', pgid: Number(group) };
  } catch {
    return undefined; // It exited while we looked.
  }
}
