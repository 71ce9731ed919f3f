/**
 * The process table, read from /proc. Every fixture a test starts carries a unique `--tag=` argument,
 * so a test can ask whether anything it started is still alive, whatever became of its parent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { waitFor } from './poll.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

export function newTag(): string {
  return `t-${randomUUID()}`;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline };
  } catch {
    return undefined; // It exited while we looked.
  }
}

export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    // Zombies have been reaped by nobody yet but hold no resources; they are not leaks of ours.
    if (info && info.state !== 'Z') found.push(info);
  }
  return found;
}

export function processesTagged(tag: string): ProcessInfo[] {
  return listProcesses().filter((info) => info.cmdline.includes(tag));
}

export function isAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== 'Z';
}

/** Waits until nothing carrying `tag` runs; fails naming what is left. */
export async function assertNoneTagged(tag: string, timeoutMs = 10_000): Promise<void> {
  try {
    await waitFor(() => processesTagged(tag).length === 0, { timeoutMs, what: `processes tagged ${tag} to exit` });
  } catch {
    const left = processesTagged(tag);
    throw new Error(`processes left behind: ${left.map((info) => `${info.pid} ${info.cmdline}`).join('; ')}`);
  }
}
