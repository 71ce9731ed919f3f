/**
 * `--isolation shared`: every session on one child, on a daemon of its own started beside the
 * target. (a) Memory per idle session, measured as the memory phase does, with the shared child at
 * rest in both levels, so it is counted once. (b) Many sessions held at once: opened
 * (OPEN_CONCURRENCY at a time), one echo call each (all at once), the daemon's RSS and its tree's
 * read while all are open, then all closed; every failure counts as an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { McpSession } from '../client/session.js';
import { rssOf } from '../lib/memory.js';
import { settle } from '../targets/settle.js';
import { startSharedSidecar } from '../targets/shared-sidecar.js';
import type { HttpTarget } from '../targets/http-target.js';
import type { Counts } from './counts.js';
import { callEcho, closeSessions, openSessions } from './drive.js';
import { sample } from './memory.js';
import type { Phase, PhaseResult } from './phase.js';

const OPEN_CONCURRENCY = 50;
const KIB_PER_MIB = 1024;
/** At rest: the daemon and the one shared child (kept for --idle-timeout after the last session). */
const AT_REST = 2;

interface Failures {
  count: number;
  first?: string;
}

function failed(failures: Failures, reason: unknown): void {
  failures.count++;
  failures.first ??= reason instanceof Error ? reason.message : String(reason);
}

async function atRest(shared: HttpTarget, what: string): Promise<void> {
  await settle(() => shared.tree(), { size: AT_REST, timeoutMs: 60_000, what: `the shared daemon at rest ${what}` });
}

/** (a): own and tree PSS per idle session, the shared child counted once. */
async function memoryPerSession(shared: HttpTarget, counts: Counts): Promise<Record<string, number>> {
  const before = await sample(shared, counts.memorySamples);
  const sessions = await openSessions(shared, counts.sharedMemorySessions);
  try {
    await atRest(shared, `with ${counts.sharedMemorySessions} sessions open`);
    const after = await sample(shared, counts.memorySamples);
    const perSession = (kib: number): number => kib / counts.sharedMemorySessions / KIB_PER_MIB;
    return {
      ownAnonPerSession: before.own && after.own ? perSession(after.own.pssAnon - before.own.pssAnon) : Number.NaN,
      treePerSession: perSession(after.tree - before.tree),
    };
  } finally {
    await closeSessions(sessions);
  }
}

/** (b): `count` sessions held at once, one call each. */
async function holdMany(shared: HttpTarget, count: number, failures: Failures): Promise<Record<string, number>> {
  const rssRest = rssOf(shared.pid);
  const sessions: McpSession[] = [];
  const started = performance.now();
  while (sessions.length + failures.count < count) {
    const batch = Math.min(OPEN_CONCURRENCY, count - sessions.length - failures.count);
    for (const opened of await Promise.allSettled(Array.from({ length: batch }, () => shared.openSession()))) {
      if (opened.status === 'fulfilled') sessions.push(opened.value);
      else failed(failures, opened.reason);
    }
  }
  const opened = performance.now();
  for (const called of await Promise.allSettled(sessions.map((session) => callEcho(session)))) {
    if (called.status === 'rejected') failed(failures, called.reason);
  }
  const called = performance.now();
  const tree = shared.tree();
  const rssHeld = rssOf(shared.pid);
  const treeRss = tree.reduce((sum, entry) => sum + rssOf(entry.pid), 0);
  for (const closed of await Promise.allSettled(sessions.map((session) => session.close()))) {
    if (closed.status === 'rejected') failed(failures, closed.reason);
  }
  const closed = performance.now();
  return {
    // Each failure is one session's open, call or close: a session held counts only with none.
    held: count - failures.count,
    heldChildren: tree.length - 1,
    rssHeld: rssHeld / KIB_PER_MIB,
    rssPerHeld: (rssHeld - rssRest) / sessions.length / KIB_PER_MIB,
    treeRssHeld: treeRss / KIB_PER_MIB,
    openSeconds: (opened - started) / 1000,
    callSeconds: (called - opened) / 1000,
    closeSeconds: (closed - called) / 1000,
  };
}

export const sharedPhase: Phase = {
  name: 'shared',
  title: 'One child for every session (--isolation shared)',
  method: (counts) =>
    `a daemon of its own with \`--isolation shared --max-sessions ${counts.sharedHeldSessions + 64}\`. (a) after 2 warm-up sessions (which start the shared child, then kept for --idle-timeout), PSS at rest, then with ${counts.sharedMemorySessions} idle sessions open (each made one echo call); per session = (with − without) / ${counts.sharedMemorySessions}, the shared child at rest in both levels (counted once); each level the lowest of ${counts.memorySamples} samples. (b) ${counts.sharedHeldSessions} sessions opened ${OPEN_CONCURRENCY} at a time and all held, then one echo call each, all at once; RSS (VmRSS) of the daemon and of its tree read while all are open ("per session": the daemon's growth over its RSS at rest, divided by the sessions); then all closed (DELETE). Any failed open, call or close is an error.`,
  metrics: [
    { key: 'ownAnonPerSession', label: 'own per idle session', unit: 'MiB', better: 'lower', ratios: false, digits: 3 },
    { key: 'treePerSession', label: 'tree per idle session', unit: 'MiB', better: 'lower', ratios: false, digits: 3 },
    { key: 'held', label: 'sessions held at once', unit: '', better: 'higher', ratios: false, digits: 0 },
    { key: 'heldChildren', label: 'children while held', unit: '', better: 'lower', ratios: false, digits: 0 },
    { key: 'rssHeld', label: 'daemon RSS, all held', unit: 'MiB', better: 'lower', ratios: false, digits: 1 },
    { key: 'rssPerHeld', label: 'daemon RSS per held session', unit: 'MiB', better: 'lower', ratios: false, digits: 3 },
    { key: 'treeRssHeld', label: 'tree RSS, all held', unit: 'MiB', better: 'lower', ratios: false, digits: 1 },
    { key: 'openSeconds', label: 'opening them', unit: 's', better: 'lower', ratios: false, digits: 2 },
    { key: 'callSeconds', label: 'one call each', unit: 's', better: 'lower', ratios: false, digits: 2 },
    { key: 'closeSeconds', label: 'closing them', unit: 's', better: 'lower', ratios: false, digits: 2 },
  ],
  // The daemon's own isolation mode: the peers and the floor have no such choice.
  appliesTo: (target) => target === 'mcp-sidecar',
  async run(target, counts): Promise<PhaseResult> {
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-sidecar-bench-shared-'));
    const failures: Failures = { count: 0 };
    let shared: HttpTarget | undefined;
    let metrics: Record<string, number> = {};
    try {
      shared = await startSharedSidecar(target, counts.sharedHeldSessions + 64, logDir);
      await closeSessions(await openSessions(shared, 2));
      await atRest(shared, 'after the warm-up');
      metrics = { ...(await memoryPerSession(shared, counts)) };
      await atRest(shared, 'after the idle sessions closed');
      metrics = { ...metrics, ...(await holdMany(shared, counts.sharedHeldSessions, failures)) };
      await atRest(shared, `after ${counts.sharedHeldSessions} sessions closed`);
    } catch (error) {
      failed(failures, error);
    }
    const left = shared ? await shared.stop() : [];
    if (left.length > 0) failed(failures, `the shared daemon left processes behind: ${left.join('; ')}`);
    if (failures.count === 0) rmSync(logDir, { recursive: true, force: true });
    else failures.first = `${failures.first ?? ''} (logs in ${logDir})`;
    return { metrics, errors: failures.count, ...(failures.first === undefined ? {} : { firstError: failures.first }) };
  },
};
