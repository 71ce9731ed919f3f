/**
 * How many sessions one principal may hold. With authentication on, one token holder must not take
 * every slot of --max-sessions: when --max-sessions-per-principal is unset (0), its cap is a fair
 * share, a quarter of --max-sessions (at least 1), so that at least four principals fit at their
 * cap before anyone gets 503. And since a legacy SSE stream or a WebSocket holds a child from the
 * moment it opens, a principal may hold only a few of them before their initialize is answered;
 * each of those ends after --idle-timeout-unused anyway, but could be reopened at once.
 * Without authentication everyone is `anonymous`: only --max-sessions-per-principal, when set, applies.
 */
import { isSamePrincipal, type Principal } from '../auth/principal.js';
import type { TransportName } from '../observability/metrics.js';
import type { Session } from './session.js';

/** Transports whose connection is the session: it ends when the connection closes. */
export const CONNECTION_BOUND: ReadonlySet<TransportName> = new Set(['sse', 'websocket']);

/** The fair share is --max-sessions divided by this. */
export const FAIR_SHARE_DIVISOR = 4;
/** Legacy SSE or WebSocket sessions one principal may hold before their initialize is answered. */
export const UNINITIALIZED_PER_PRINCIPAL = 4;

export interface SessionCaps {
  /** Live sessions per principal; 0: no cap but --max-sessions. */
  perPrincipal: number;
  /** Connection-bound sessions per principal whose child has not answered initialize; 0: no cap. */
  uninitializedPerPrincipal: number;
  /** `perPrincipal` is the fair share, not a configured value. */
  fairShare: boolean;
}

export function sessionCaps(limits: { maxSessions: number; maxSessionsPerPrincipal: number }, authenticated: boolean): SessionCaps {
  if (!authenticated) return { perPrincipal: limits.maxSessionsPerPrincipal, uninitializedPerPrincipal: 0, fairShare: false };
  const fairShare = limits.maxSessionsPerPrincipal === 0;
  const perPrincipal = fairShare ? Math.max(1, Math.ceil(limits.maxSessions / FAIR_SHARE_DIVISOR)) : limits.maxSessionsPerPrincipal;
  return { perPrincipal, uninitializedPerPrincipal: Math.min(UNINITIALIZED_PER_PRINCIPAL, perPrincipal), fairShare };
}

/** The live sessions of `principal`, and how many of them are connections not initialized yet. */
export function heldBy(sessions: Iterable<Session>, principal: Principal): { sessions: number; uninitialized: number } {
  let count = 0;
  let uninitialized = 0;
  for (const session of sessions) {
    if (!isSamePrincipal(session.principal, principal)) continue;
    count++;
    if (!session.initialized && CONNECTION_BOUND.has(session.transport)) uninitialized++;
  }
  return { sessions: count, uninitialized };
}
