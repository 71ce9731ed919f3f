/**
 * The process table from /proc: who descends from whom, how much CPU and memory a process tree
 * uses, and which processes carry a tag. Every process the bench starts has its run's tag on its
 * command line (the fixture's `--tag=`, which the bridges carry in their own arguments too).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  state: string;
  /** User plus system CPU time, in clock ticks. */
  cpuTicks: number;
}

function readEntry(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may contain spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // It exited while we looked.
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
}

/** Every live (non-zombie) process. */
export function processTable(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const pid of allPids()) {
    const entry = readEntry(pid);
    if (entry && entry.state !== 'Z') entries.push(entry);
  }
  return entries;
}

/** `roots` and all their live descendants. */
export function treeOf(roots: readonly number[], table = processTable()): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  const byPid = new Map<number, ProcessEntry>();
  for (const entry of table) {
    byPid.set(entry.pid, entry);
    const siblings = byParent.get(entry.ppid);
    if (siblings) siblings.push(entry);
    else byParent.set(entry.ppid, [entry]);
  }
  const found: ProcessEntry[] = [];
  const queue = roots.map((pid) => byPid.get(pid)).filter((entry): entry is ProcessEntry => entry !== undefined);
  while (queue.length > 0) {
    const entry = queue.shift() as ProcessEntry;
    found.push(entry);
    queue.push(...(byParent.get(entry.pid) ?? []));
  }
  return found;
}

/** A process's own user plus system CPU time in clock ticks (its children not counted). */
export function cpuTicksOf(pid: number): number | undefined {
  return readEntry(pid)?.cpuTicks;
}

export function isAlive(pid: number): boolean {
  const entry = readEntry(pid);
  return entry !== undefined && entry.state !== 'Z';
}

export interface TaggedProcess {
  pid: number;
  cmdline: string;
}

/** Live processes whose command line contains `tag`. */
export function processesTagged(tag: string): TaggedProcess[] {
  const found: TaggedProcess[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue; // Exited while we looked.
    }
    if (!cmdline.includes(tag)) continue;
    const entry = readEntry(pid);
    if (entry && entry.state !== 'Z') found.push({ pid, cmdline });
  }
  return found;
}

/** SIGKILL every live process carrying `tag`; returns what was killed. */
export function killTagged(tag: string): TaggedProcess[] {
  const found = processesTagged(tag);
  for (const { pid } of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone between the look and the kill: nothing to do.
    }
  }
  return found;
}
