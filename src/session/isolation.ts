/**
 * `--isolation`: who shares a child.
 *   - `session`: a child per session (nothing here is used);
 *   - `principal`: one child per authenticated principal, shared by that principal's sessions
 *     (it carries the principal's --principal-env variables);
 *   - `shared`: one child for everyone, for stateless servers whose users need no separation.
 * The shared children live here, by principal or as the one; each is kept while a session holds
 * it and for --idle-timeout after its last session has gone, then stopped (exit result `idle`).
 */
import { principalKey, type Principal } from '../auth/principal.js';
import type { Logger } from '../observability/logger.js';
import type { ChildProcess } from '../supervisor/child-process.js';
import type { ExitRecord } from '../supervisor/exit-record.js';
import type { ChildPort } from './child-port.js';
import { SharedChild } from './shared-child.js';

export const ISOLATION_MODES = ['session', 'principal', 'shared'] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export interface IsolationOptions {
  mode: IsolationMode;
  /** A process to share: a spare, or a spawn with the principal's own variables. */
  launch(principal: Principal, logger: Logger): ChildProcess;
  /** Bound on the daemon's initialize of a shared child. */
  initTimeoutMs: number;
  /** How long a shared child no session holds is kept (--idle-timeout). */
  idleTimeoutMs: number;
  /** Authentication is on: the one child of `shared` serves several principals. */
  authenticated: boolean;
}

/** setTimeout takes at most this; a longer idle timeout is "never" for a shared child. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Slot {
  current: SharedChild;
  idle: NodeJS.Timeout | undefined;
}

export class Isolation {
  readonly mode: IsolationMode;
  private readonly options: IsolationOptions;
  private readonly logger: Logger;
  private readonly slots = new Map<string, Slot>();
  private readonly stopping = new Set<Promise<ExitRecord>>();

  constructor(options: IsolationOptions, logger: Logger) {
    this.mode = options.mode;
    this.options = options;
    this.logger = logger;
  }

  /** Sessions share children: `launch` them through `attach`, not one each. */
  get shares(): boolean {
    return this.mode !== 'session';
  }

  /** Shared children alive (for tests and /status). */
  get size(): number {
    return this.slots.size;
  }

  /** A session's link to the child it shares, started when there is none to join. */
  attach(principal: Principal, logger: Logger): ChildPort {
    const key = this.mode === 'shared' ? '*' : principalKey(principal);
    let slot = this.slots.get(key);
    if (slot?.idle) {
      clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    if (!slot || !slot.current.usable) {
      const label = this.mode === 'shared' ? 'everyone' : principal.name;
      const childLogger = this.logger.child({ sharedChild: label });
      // A child that serves several principals does not quote its stderr to any of them.
      const quotesStderr = this.mode === 'principal' || !this.options.authenticated;
      const shared = new SharedChild(this.options.launch(principal, childLogger), label, childLogger, { initTimeoutMs: this.options.initTimeoutMs, quotesStderr }, {
        unused: (unused) => this.unused(key, unused),
        exited: (gone, record) => this.exited(key, gone, record),
      });
      if (slot) this.retire(slot.current, 'session-end');
      slot = { current: shared, idle: undefined };
      this.slots.set(key, slot);
    }
    return slot.current.attach(logger);
  }

  /** --ping-interval: each shared child once. */
  pingIdle(now: number, intervalMs: number): void {
    for (const slot of this.slots.values()) slot.current.pingIfIdle(now, intervalMs);
  }

  status(now: number): object[] {
    return [...this.slots.values()].map((slot) => slot.current.status(now));
  }

  /** Stops every shared child; resolves when all are gone. */
  async stopAll(): Promise<void> {
    for (const slot of this.slots.values()) {
      if (slot.idle) clearTimeout(slot.idle);
      this.track(slot.current.stop('shutdown'));
    }
    this.slots.clear();
    await Promise.all([...this.stopping]);
  }

  private unused(key: string, shared: SharedChild): void {
    const slot = this.slots.get(key);
    if (slot?.current !== shared || !shared.usable) {
      // Replaced, refused by its server or on its way down: nobody joins it again.
      if (slot?.current === shared) this.slots.delete(key);
      this.retire(shared, 'session-end');
      return;
    }
    if (this.options.idleTimeoutMs > MAX_TIMER_MS) return;
    slot.idle = setTimeout(() => {
      if (this.slots.get(key) !== slot || shared.ports.size > 0) return;
      this.slots.delete(key);
      shared.logger.info({ idleTimeoutMs: this.options.idleTimeoutMs }, 'shared child unused for --idle-timeout: stopping it');
      this.track(shared.stop('idle'));
    }, this.options.idleTimeoutMs);
    slot.idle.unref();
  }

  private exited(key: string, shared: SharedChild, record: ExitRecord): void {
    const slot = this.slots.get(key);
    if (slot?.current !== shared) return;
    if (slot.idle) clearTimeout(slot.idle);
    this.slots.delete(key);
    if (record.result !== 'idle' && record.result !== 'shutdown') {
      this.logger.info({ sharedChild: shared.label, exit: record }, 'shared child gone; the next session (or restart) starts another');
    }
  }

  /** A child no new session may join, stopped once no session holds it. */
  private retire(shared: SharedChild, reason: 'session-end'): void {
    if (shared.ports.size === 0 && shared.child.alive) this.track(shared.stop(reason));
  }

  private track(stopped: Promise<ExitRecord>): void {
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
  }
}
