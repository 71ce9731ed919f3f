/**
 * Signals for a child's whole process group. Each child is spawned as a group leader, so `npx`,
 * `uvx` and `sh -c` wrappers go down together with the server they started.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { listPids, readStat } from './proc.js';

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
  const pids = listPids();
  if (pids === undefined) return undefined; // Trust the signal probe alone.
  let live = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== 'Z') live++;
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
