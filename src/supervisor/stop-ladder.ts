/**
 * The one way a child is stopped, whatever asked for it (session end, idle, shutdown, later the
 * watchdog): the spec's shutdown sequence, applied to the process group.
 *   1. close stdin and wait `timeoutStopMs` (a well-behaved MCP server exits on EOF);
 *   2. `killSignal` to the group and wait `timeoutStopMs`;
 *   3. SIGKILL to the group, and wait for the exit.
 * Whatever the leader left behind in its group is reaped afterwards by the caller.
 */
import { signalGroup } from './kill-process-group.js';

export interface LadderTarget {
  /** Process id, which is also the process group id (the child is a group leader). */
  pid: number;
  closeStdin(): void;
  /** Settles when the leader has exited. */
  exited: Promise<unknown>;
  /** Told of each step as it is taken, so an exit record can say how far the stop went. */
  onStep?(step: LadderStep): void;
}

export interface LadderOptions {
  timeoutStopMs: number;
  killSignal: NodeJS.Signals;
}

export type LadderStep = 'eof' | 'sigterm' | 'sigkill';

export async function runStopLadder(target: LadderTarget, options: LadderOptions): Promise<LadderStep> {
  target.onStep?.('eof');
  target.closeStdin();
  if (await settlesWithin(target.exited, options.timeoutStopMs)) return 'eof';
  target.onStep?.('sigterm');
  signalGroup(target.pid, options.killSignal);
  if (await settlesWithin(target.exited, options.timeoutStopMs)) return 'sigterm';
  target.onStep?.('sigkill');
  signalGroup(target.pid, 'SIGKILL');
  await target.exited;
  return 'sigkill';
}

/** True if `promise` settles within `ms`; the timer never outlives the wait. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) return promise.then(() => true, () => true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => { clearTimeout(timer); resolve(true); },
      () => { clearTimeout(timer); resolve(true); },
    );
  });
}
