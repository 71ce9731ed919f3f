/**
 * Children started ahead of sessions: spawned, not yet initialized, waiting. A new session takes
 * one and pays only the child's own initialize. The pool refills in the background; a spare that
 * dies while it waits is replaced after a backoff (the restart policy's delays), so a command that
 * cannot start makes the pool wait longer and longer instead of spinning.
 *
 * Size: it keeps --pool-min spares. Each time a session finds no spare, or only one younger than
 * children take to start (learned from how long initialize takes on fresh spawns), the target grows
 * by one, up to --pool-max. Spares above --pool-min that wait longer than the idle timeout are let go.
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
  /** Told when a spare dies while it waits (readiness counts it as a failed start). */
  onSpareDied?(description: string): void;
  /**
   * Readies a spare before it may be taken (initialized ahead of a client); false when it could
   * not be, and the spare is stopped and replaced after a backoff.
   */
  prepare?(child: ChildProcess): Promise<boolean>;
}

/** How long a child takes to start, before any has been measured. */
const DEFAULT_WARMUP_MS = 1000;

interface Spare {
  child: ChildProcess;
  since: number;
}

export class WarmPool {
  private readonly spawn: () => ChildProcess;
  private readonly options: WarmPoolOptions;
  private readonly logger: Logger;
  private readonly spares: Spare[] = [];
  /** Spares being readied by `prepare`: not takeable yet. */
  private readonly preparing = new Set<Spare>();
  private target: number;
  private failures = 0;
  private refillTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Smoothed time from spawn to initialize answered: a younger spare is not warm yet. */
  private warmupMs = DEFAULT_WARMUP_MS;
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
    return this.spares.some((spare) => spare.child === child) || [...this.preparing].some((spare) => spare.child === child);
  }

  get enabled(): boolean {
    return this.options.max > 0;
  }

  start(): void {
    this.refill();
  }

  /**
   * The oldest live spare for a new session (a hit), or `undefined` when there is none (a miss: the
   * caller spawns). Taking a spare that is still starting means the pool refills slower than
   * sessions arrive, so that grows the target too, as a miss does.
   */
  take(now = Date.now()): ChildProcess | undefined {
    if (!this.enabled) return undefined;
    let taken: Spare | undefined;
    while (!taken && this.spares.length > 0) {
      const spare = this.spares.shift() as Spare;
      if (spare.child.alive) taken = spare;
    }
    if (taken) this.hits++;
    else this.misses++;
    this.options.onTake?.(taken !== undefined);
    const cold = taken === undefined || now - taken.since < this.warmupMs;
    if (cold && this.target < this.options.max) this.target++;
    if (taken) this.failures = 0;
    // Off the taker's path: spawning the replacement costs the event loop milliseconds the session's
    // first request is waiting for.
    setImmediate(() => this.refill());
    return taken?.child;
  }

  /** Learns how long children take from spawn to an answered initialize. */
  observeStartup(ms: number): void {
    this.warmupMs = Math.round(this.warmupMs * 0.7 + ms * 0.3);
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
    const spares = [...this.spares.splice(0), ...this.preparing];
    this.preparing.clear();
    await Promise.all(spares.map((spare) => spare.child.stop('shutdown')));
  }

  private refill(): void {
    if (this.stopped || this.refillTimer) return;
    while (this.spares.length + this.preparing.size < this.target) {
      const child = this.spawn();
      const spare: Spare = { child, since: Date.now() };
      if (this.options.prepare) this.ready(spare, (child) => this.options.prepare?.(child) ?? Promise.resolve(true));
      else this.spares.push(spare);
      void child.exited.then((record) => this.onSpareExit(spare, record.result));
      if (child.pid === undefined) break; // Spawn failed: its exit schedules the retry.
    }
  }

  private ready(spare: Spare, prepare: (child: ChildProcess) => Promise<boolean>): void {
    this.preparing.add(spare);
    void prepare(spare.child).then((ok) => {
      if (!this.preparing.delete(spare)) return; // Stopped, or died: handled there.
      if (ok && spare.child.alive) {
        spare.since = Date.now();
        this.spares.push(spare);
        return;
      }
      // Not ready: put it down; its exit counts as a spare that died and schedules the retry.
      this.preparing.add(spare);
      void spare.child.stop('session-end');
    });
  }

  private onSpareExit(spare: Spare, result: string): void {
    const index = this.spares.indexOf(spare);
    const wasPreparing = this.preparing.delete(spare);
    if ((index === -1 && !wasPreparing) || this.stopped) return; // Taken by a session, or stopped by us.
    if (index !== -1) this.spares.splice(index, 1);
    const delay = nextRestartDelay(this.options.backoff, this.failures);
    this.failures++;
    this.logger.warn({ result, failures: this.failures, retryInMs: delay }, 'pool spare died while waiting; replacing it after a backoff');
    this.options.onSpareDied?.(`a pool spare ${result === 'spawn-failed' ? 'could not be started' : `died while waiting (${result})`}`);
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, delay);
    this.refillTimer.unref();
  }
}
