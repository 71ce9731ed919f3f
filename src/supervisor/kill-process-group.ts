/**
 * Signals for a child's whole process group. Each child is spawned as a group leader, so `npx`,
 * `uvx` and `sh -c` wrappers go down together with the server they started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Sends `signal` to every process in group `pgid`; false when the group is already empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Whether any process of the group still runs. A member that has died but was reparented to an
 * init that does not reap (a container without one, some sandboxes) stays as a zombie: it holds
 * nothing, so on Linux it does not count, or every stop would wait out its timeouts for nothing.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  const members = liveGroupMembers(pgid);
  return members === undefined || members > 0;
}

/** Members of the group that are not zombies, from /proc; `undefined` where there is no /proc. */
function liveGroupMembers(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined; // No procfs (not Linux): trust the signal probe alone.
  }
  let live = 0;
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, pgrp, …
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (Number(group) === pgid && state !== 'Z') live++;
    } catch {
      // The process ended while we looked: not a member any more.
    }
  }
  return live;
}

/** Polls until the group is empty or `timeoutMs` passes; true when it emptied. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await delay(20);
  }
  return true;
}

/**
 * Ends what is left of a group after its leader exited (a grandchild that kept running):
 * `signal`, then SIGKILL after `timeoutMs`.
 */
export async function reapGroup(pgid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (!signalGroup(pgid, signal)) return;
  if (await waitForGroupExit(pgid, timeoutMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupExit(pgid, timeoutMs);
}
