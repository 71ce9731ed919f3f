/**
 * Children started ahead of sessions: spawned, not yet initialized, waiting. A new session takes
 * one and pays only the child's own initialize. The pool refills in the background; a spare that
 * dies while it waits is replaced after a backoff (the restart policy's delays), so a command that
 * cannot start makes the pool wait longer and longer instead of spinning.
 *
 * Size: it keeps --pool-min spares; each time a session finds it empty the target grows by one, up
 * to --pool-max; spares above --pool-min that wait longer than the idle timeout are let go.
 */
import type { Logger } from '../observability/logger.js';
import type { ChildProcess } from './child-process.js';
import { nextRestartDelay, type RestartPolicy } from './restart-policy.js';

export interface WarmPoolOptions {
  min: number;
  max: number;
  /** Spares above `min` idle longer than this are stopped. */
  idleTimeoutMs: number;
  backoff: RestartPolicy;
  /** Told of every take: a spare was there (hit) or not (miss). */
  onTake?(hit: boolean): void;
}

interface Spare {
  child: ChildProcess;
  since: number;
}

export class WarmPool {
  private readonly spawn: () => ChildProcess;
  private readonly options: WarmPoolOptions;
  private readonly logger: Logger;
  private readonly spares: Spare[] = [];
  private target: number;
  private failures = 0;
  private refillTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  hits = 0;
  misses = 0;

  constructor(spawn: () => ChildProcess, options: WarmPoolOptions, logger: Logger) {
    this.spawn = spawn;
    this.options = options;
    this.logger = logger.child({ pool: true });
    this.target = options.min;
  }

  get size(): number {
    return this.spares.length;
  }

  has(child: ChildProcess): boolean {
    return this.spares.some((spare) => spare.child === child);
  }

  get enabled(): boolean {
    return this.options.max > 0;
  }

  start(): void {
    this.refill();
  }

  /** A live spare for a new session, or `undefined` (a miss: the caller spawns). */
  take(): ChildProcess | undefined {
    if (!this.enabled) return undefined;
    while (this.spares.length > 0) {
      const spare = this.spares.shift() as Spare;
      if (!spare.child.alive) continue;
      this.hits++;
      this.options.onTake?.(true);
      this.failures = 0;
      this.refill();
      return spare.child;
    }
    this.misses++;
    this.options.onTake?.(false);
    if (this.target < this.options.max) this.target++;
    this.refill();
    return undefined;
  }

  /** Lets go of spares above the minimum that waited too long. */
  trim(now: number): void {
    while (this.spares.length > this.options.min) {
      const oldest = this.spares[0] as Spare;
      if (now - oldest.since < this.options.idleTimeoutMs) break;
      this.spares.shift();
      this.target = Math.max(this.options.min, this.target - 1);
      void oldest.child.stop('idle');
    }
  }

  /** Stops every spare and refills no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    const spares = this.spares.splice(0);
    await Promise.all(spares.map((spare) => spare.child.stop('shutdown')));
  }

  private refill(): void {
    if (this.stopped || this.refillTimer) return;
    while (this.spares.length < this.target) {
      const child = this.spawn();
      const spare: Spare = { child, since: Date.now() };
      this.spares.push(spare);
      void child.exited.then((record) => this.onSpareExit(spare, record.result));
      if (child.pid === undefined) break; // Spawn failed: its exit schedules the retry.
    }
  }

  private onSpareExit(spare: Spare, result: string): void {
    const index = this.spares.indexOf(spare);
    if (index === -1 || this.stopped) return; // Taken by a session, or stopped by us.
    this.spares.splice(index, 1);
    const delay = nextRestartDelay(this.options.backoff, this.failures);
    this.failures++;
    this.logger.warn({ result, failures: this.failures, retryInMs: delay }, 'pool spare died while waiting; replacing it after a backoff');
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, delay);
    this.refillTimer.unref();
  }
}
