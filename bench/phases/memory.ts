/**
 * Memory: PSS of the bridge alone and of its whole tree, at rest with no session and with N idle
 * sessions open; per session is the difference over N. Each level is the lowest of a few samples
 * (a garbage collection between them only ever lowers it). The bridge's own figure is read from
 * its anonymous PSS (see lib/memory.ts); total PSS is reported beside it.
 */
import { sumPss, pssOf, type Pss } from '../lib/memory.js';
import { min } from '../lib/stats.js';
import { sleep } from '../lib/wait.js';
import { settle } from '../targets/settle.js';
import type { RunningTarget } from '../targets/target.js';
import { closeSessions, openSessions, settleIdle } from './drive.js';
import { exceptWarm, type Phase } from './phase.js';

const SAMPLE_GAP_MS = 100;
const WARM_UP_SESSIONS = 2;
const KIB_PER_MIB = 1024;

export interface Level {
  own: Pss | undefined;
  tree: number;
}

/** The bridge's own PSS and its tree's, each the lowest of `samples` samples. */
export async function sample(target: RunningTarget, samples: number): Promise<Level> {
  const own: Pss[] = [];
  const tree: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(SAMPLE_GAP_MS);
    if (target.pid !== undefined) own.push(pssOf(target.pid));
    tree.push(sumPss(target.tree().map((entry) => entry.pid)).pss);
  }
  return {
    own: target.pid === undefined ? undefined : { pss: min(own.map((one) => one.pss)), pssAnon: min(own.map((one) => one.pssAnon)) },
    tree: min(tree),
  };
}

export const memoryPhase: Phase = {
  name: 'memory',
  title: 'Memory (PSS)',
  method: (counts) =>
    `after ${WARM_UP_SESSIONS} warm-up sessions, PSS from /proc/<pid>/smaps_rollup at rest with no session, then with ${counts.memorySessions} idle sessions open (each made one echo call); per session = (with − without) / ${counts.memorySessions}; each level the lowest of ${counts.memorySamples} samples ${SAMPLE_GAP_MS} ms apart. "own" is the bridge process alone, the child(ren) excluded (anonymous PSS: its file-backed PSS shrinks as node children share its executable's pages); "tree" is the bridge and every descendant.`,
  metrics: [
    { key: 'ownAnonPerSession', label: 'own per session', unit: 'MiB', better: 'lower', ratios: true, digits: 3 },
    { key: 'ownPssPerSession', label: 'own total-PSS per session', unit: 'MiB', better: 'lower', ratios: false, digits: 3 },
    { key: 'treePerSession', label: 'tree per session', unit: 'MiB', better: 'lower', ratios: true, digits: 2 },
    { key: 'ownIdle', label: 'own, no session', unit: 'MiB', better: 'lower', ratios: false, digits: 1 },
    { key: 'treeOpen', label: 'tree, sessions open', unit: 'MiB', better: 'lower', ratios: false, digits: 0 },
  ],
  appliesTo: exceptWarm,
  async run(target, counts) {
    await closeSessions(await openSessions(target, WARM_UP_SESSIONS));
    await settleIdle(target);
    const before = await sample(target, counts.memorySamples);
    const sessions = await openSessions(target, counts.memorySessions);
    try {
      await settle(() => target.tree(), { minSize: target.idleTreeSize, what: `${target.name} at rest with ${counts.memorySessions} sessions open` });
      const after = await sample(target, counts.memorySamples);
      const perSession = (kib: number): number => kib / counts.memorySessions / KIB_PER_MIB;
      const metrics: Record<string, number> = {
        treePerSession: perSession(after.tree - before.tree),
        treeOpen: after.tree / KIB_PER_MIB,
      };
      if (before.own && after.own) {
        metrics.ownAnonPerSession = perSession(after.own.pssAnon - before.own.pssAnon);
        metrics.ownPssPerSession = perSession(after.own.pss - before.own.pss);
        metrics.ownIdle = before.own.pss / KIB_PER_MIB;
      }
      return { metrics, errors: 0 };
    } finally {
      await closeSessions(sessions);
    }
  },
};
