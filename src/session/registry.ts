/**
 * The live sessions, by the key that binds a client to its child (the Mcp-Session-Id today).
 * A session leaves the map the moment it ends, so the next request with its id gets 404 and the
 * client re-initializes. Children still on their way down are tracked until they are gone, so
 * shutdown can wait for every one of them.
 */
import { isSamePrincipal, type Principal } from '../auth/principal.js';
import type { ExitRecord, StopReason } from '../supervisor/exit-record.js';
import type { Session } from './session.js';

export interface SweepLimits {
  idleTimeoutMs: number;
  unusedIdleTimeoutMs: number;
  sessionTtlMs: number;
  requestTimeoutMs: number;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly stopping = new Set<Promise<ExitRecord>>();

  get size(): number {
    return this.sessions.size;
  }

  add(session: Session): void {
    this.sessions.set(session.id, session);
  }

  /** The live session with this id, if any. */
  get(id: string): Session | undefined {
    const session = this.sessions.get(id);
    return session?.live ? session : undefined;
  }

  /** Called by the session's hooks once it is over. */
  remove(session: Session): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  /** Ends a session and keeps track of its child until it is gone. */
  end(session: Session, reason: StopReason): Promise<ExitRecord> {
    this.remove(session);
    const stopped = session.end(reason);
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
    return stopped;
  }

  /** Live sessions `principal` opened. */
  countFor(principal: Principal): number {
    let count = 0;
    for (const session of this.sessions.values()) if (isSamePrincipal(session.principal, principal)) count++;
    return count;
  }

  /** Requests in flight across every session. */
  inFlight(): number {
    let total = 0;
    for (const session of this.sessions.values()) total += session.inFlight;
    return total;
  }

  /**
   * One pass of the clock: ends sessions past their lifetime (ttl), idle ones, and probes that
   * never sent a request; fails requests past their timeout. Returns what it did, for the log.
   */
  sweep(now: number, limits: SweepLimits): { ended: number; expired: number } {
    let ended = 0;
    let expired = 0;
    for (const session of [...this.sessions.values()]) {
      expired += session.expireRequests(now, limits.requestTimeoutMs);
      const reason = session.initializeTimedOut
        ? 'timeout'
        : now - session.createdAt >= limits.sessionTtlMs
        ? 'ttl'
        : session.isIdle(now, limits.idleTimeoutMs) || session.isUnused(now, limits.unusedIdleTimeoutMs)
          ? 'idle'
          : undefined;
      if (reason) {
        void this.end(session, reason);
        ended++;
      }
    }
    return { ended, expired };
  }

  /** Ends every session and waits until every child, including those already stopping, is gone. */
  async endAll(reason: StopReason): Promise<void> {
    for (const session of [...this.sessions.values()]) void this.end(session, reason);
    await Promise.all([...this.stopping]);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }
}
