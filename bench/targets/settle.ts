/**
 * Waiting for a target to be at rest: its tree has the expected number of processes and used no
 * CPU over one sample. A warm pool's spare has then loaded, a closed session's child is gone, and
 * the next measurement starts from the same state on every target.
 */
import type { ProcessEntry } from '../lib/process-table.js';
import { waitFor } from '../lib/wait.js';

const SAMPLE_MS = 50;

export interface SettleOptions {
  /** The tree size to wait for; undefined: any size, as long as it holds still. */
  size?: number;
  /** With `size` undefined, at least this many. */
  minSize?: number;
  timeoutMs?: number;
  what: string;
}

/** Resolves with the tree's size once it is at rest. */
export function settle(tree: () => ProcessEntry[], options: SettleOptions): Promise<number> {
  let lastTicks = -1;
  let lastSize = -1;
  return waitFor(() => {
    const entries = tree();
    const ticks = entries.reduce((sum, entry) => sum + entry.cpuTicks, 0);
    const sizeOk = options.size === undefined ? entries.length >= (options.minSize ?? 0) : entries.length === options.size;
    const atRest = sizeOk && entries.length === lastSize && ticks === lastTicks;
    lastTicks = ticks;
    lastSize = entries.length;
    return atRest ? entries.length : undefined;
  }, { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: SAMPLE_MS, what: options.what });
}
