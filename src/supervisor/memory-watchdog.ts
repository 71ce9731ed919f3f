/**
 * Every --watchdog-interval, the RSS of each child's whole process tree is compared with
 * --memory-max. A child over it is logged with its figures and stopped down the ladder (exit result
 * `memory`); its session restarts it per --restart. The sum over all children is kept for
 * --memory-max-total, under which admission of new sessions is refused.
 */
import type { Logger } from '../observability/logger.js';
import { formatSize } from '../config/size.js';
import type { ChildProcess } from './child-process.js';
import { procAvailable, rssByProcessGroup } from './process-tree-rss.js';

export interface WatchdogOptions {
  intervalMs: number;
  memoryMaxBytes: number;
  memoryMaxTotalBytes: number;
  onStop?(): void;
}

export class MemoryWatchdog {
  private readonly options: WatchdogOptions;
  private readonly logger: Logger;
  private readonly children: () => Iterable<ChildProcess>;
  private timer: NodeJS.Timeout | undefined;
  /** RSS of all children at the last check. */
  totalBytes = 0;
  /** Children stopped for memory since start. */
  stops = 0;

  constructor(children: () => Iterable<ChildProcess>, options: WatchdogOptions, logger: Logger) {
    this.children = children;
    this.options = options;
    this.logger = logger;
  }

  start(): void {
    if (!procAvailable()) {
      this.logger.warn('no /proc: the memory watchdog cannot measure children and is off');
      return;
    }
    this.timer = setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  overTotal(): boolean {
    return this.totalBytes > this.options.memoryMaxTotalBytes;
  }

  /** One pass: measure every child, stop those over the limit. */
  check(): void {
    const byGroup = rssByProcessGroup();
    let total = 0;
    for (const child of this.children()) {
      if (child.pid === undefined || !child.alive) continue;
      const rss = byGroup.get(child.pid) ?? 0;
      child.rssBytes = rss;
      total += rss;
      // A child already on its way down is counted in the total but stopped only once.
      if (rss > this.options.memoryMaxBytes && !child.stopping) {
        this.stops++;
        this.options.onStop?.();
        child.logger.warn(
          { rssBytes: rss, memoryMaxBytes: this.options.memoryMaxBytes },
          `child over --memory-max (${formatSize(rss)} > ${formatSize(this.options.memoryMaxBytes)}); stopping it`,
        );
        void child.stop('memory');
      }
    }
    const wasOver = this.overTotal();
    this.totalBytes = total;
    if (this.overTotal() !== wasOver) {
      this.logger.warn(
        { totalBytes: total, memoryMaxTotalBytes: this.options.memoryMaxTotalBytes },
        this.overTotal() ? 'children over --memory-max-total: refusing new sessions' : 'children back under --memory-max-total',
      );
    }
  }
}
