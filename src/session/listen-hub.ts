/**
 * Where a principal's change notifications meet its `subscriptions/listen` streams. A 2025-era
 * child announces a list change in the process where the change happened, which is whichever
 * lease child carried the call that caused it, not necessarily the child a listen holds. So every
 * lease child of a principal feeds its list changes here (lease-standalone.ts), and each goes to
 * every listen stream of that principal that opted in to it; one no listen wants is counted as
 * dropped, as before. A resource update goes only to the listens holding the child that sent it:
 * that child is where they subscribed (child-subscriptions.ts).
 *
 * Bounded: a principal holds at most as many listen streams as it may hold sessions, and the
 * daemon as many as --max-sessions (listen streams are counted apart from sessions: the lease a
 * listen holds is a session already).
 */
import { principalKey, type Principal } from '../auth/principal.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Framed, JsonRpcNotification } from '../jsonrpc/message.js';
import { isChangeNotification } from '../protocol/subscriptions.js';
import { ChildSubscriptions } from './child-subscriptions.js';
import type { Session } from './session.js';

/** One listen stream, as the hub sees it. */
export interface Listener {
  readonly principal: Principal;
  /** The lease whose child the listen holds (its resource subscriptions live there). */
  readonly session: Session;
  /** Whether the listen opted in to `message`, sent by `from`, a lease child of its principal. */
  wants(message: JsonRpcNotification, from: Session): boolean;
  deliver(message: JsonRpcNotification): void;
  /**
   * Ends the stream: `graceful` with the listen's complete response (the daemon shuts down), or
   * cut without one (its child is gone: the client may listen again).
   */
  end(graceful: boolean): void;
}

export interface ListenLimits {
  /** Listen streams one principal may hold at once. */
  perPrincipal: number;
  /** Listen streams the daemon holds at once. */
  total: number;
}

export class ListenHub {
  readonly subscriptions: ChildSubscriptions;
  private readonly limits: ListenLimits;
  private readonly byPrincipal = new Map<string, Set<Listener>>();
  private count = 0;

  /** `subscribeTimeoutMs` bounds each resources/subscribe sent for a listen. */
  constructor(limits: ListenLimits, subscribeTimeoutMs: number) {
    this.limits = limits;
    this.subscriptions = new ChildSubscriptions(subscribeTimeoutMs);
  }

  /** Open listen streams, across principals. */
  get size(): number {
    return this.count;
  }

  /** Why `principal` may not open another listen stream now, or `undefined`. */
  refusal(principal: Principal): WireErrorReason | undefined {
    if (this.count >= this.limits.total) return 'SESSION_LIMIT';
    if ((this.byPrincipal.get(principalKey(principal))?.size ?? 0) >= this.limits.perPrincipal) return 'LISTEN_LIMIT';
    return undefined;
  }

  add(listener: Listener): void {
    const key = principalKey(listener.principal);
    let listeners = this.byPrincipal.get(key);
    if (!listeners) {
      listeners = new Set();
      this.byPrincipal.set(key, listeners);
    }
    if (listeners.has(listener)) return;
    listeners.add(listener);
    this.count++;
  }

  remove(listener: Listener): void {
    const key = principalKey(listener.principal);
    const listeners = this.byPrincipal.get(key);
    if (!listeners?.delete(listener)) return;
    this.count--;
    if (listeners.size === 0) this.byPrincipal.delete(key);
  }

  /**
   * A notification from `from`, a lease child, outside any request. Returns whether a listen took
   * it; one nobody took is the caller's to count as dropped.
   */
  publish(from: Session, framed: Framed): boolean {
    if (framed.kind !== 'notification') return false;
    const message = framed.message as JsonRpcNotification;
    if (!isChangeNotification(message.method)) return false;
    let taken = false;
    for (const listener of this.byPrincipal.get(principalKey(from.principal)) ?? []) {
      if (!listener.wants(message, from)) continue;
      listener.deliver(message);
      taken = true;
    }
    return taken;
  }

  /** `session` ended: the listens holding its child are cut (their clients may listen again). */
  sessionEnded(session: Session): void {
    for (const listener of [...(this.byPrincipal.get(principalKey(session.principal)) ?? [])]) {
      if (listener.session === session) listener.end(false);
    }
    this.subscriptions.forget(session);
  }

  /** Shutdown: every listen stream ends with its complete response. */
  endAll(): void {
    for (const listeners of [...this.byPrincipal.values()]) for (const listener of [...listeners]) listener.end(true);
  }
}
