/** Shutdown: SIGTERM to the bridge (the floor: to its fixtures) with sessions open, timed. */
import { openSessions } from './drive.js';
import { exceptWarm, type Phase } from './phase.js';

export const exitPhase: Phase = {
  name: 'exit',
  title: 'Exit on SIGTERM',
  method: (counts) =>
    `${counts.exitSessions} sessions open (each made one echo call), then SIGTERM to the bridge (the floor: to each fixture); timed to the bridge's exit and to the end of every process of its tree; anything still running 15 s later is counted as left behind and killed.`,
  metrics: [
    { key: 'exitMs', label: 'exit', unit: 'ms', better: 'lower', ratios: true, digits: 1 },
    { key: 'treeGoneMs', label: 'tree gone', unit: 'ms', better: 'lower', ratios: false, digits: 1 },
    { key: 'leftBehind', label: 'left behind', unit: '', better: 'lower', ratios: false, digits: 0 },
  ],
  appliesTo: exceptWarm,
  async run(target, counts) {
    // The sessions stay open on purpose: the bridge has to end them.
    await openSessions(target, counts.exitSessions);
    const timing = await target.terminate();
    return { metrics: { exitMs: timing.exitMs, treeGoneMs: timing.treeGoneMs, leftBehind: timing.leftBehind }, errors: 0 };
  },
};
