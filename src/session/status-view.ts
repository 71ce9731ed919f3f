/**
 * What GET /status shows, and to whom. An operator (and every reader while authentication is off)
 * sees every session with its child, the pool, memory and the limits; any other principal sees its
 * own sessions and the limits, never another principal's session ids, pids or stderr lines.
 */
import { isSamePrincipal, type Principal } from '../auth/principal.js';
import type { Session } from './session.js';

/** Whose sessions a /status reader sees: every one (`'all'`), or those of one principal. */
export type StatusScope = 'all' | Principal;

/** What the view reads; plain values, gathered by the session host. */
export interface StatusSources {
  sessions: Iterable<Session>;
  pool: { spares: number; min: number; max: number; hits: number; misses: number };
  children: Record<string, number>;
  memory: Record<string, number | 'infinity'>;
  limits: Record<string, number | 'infinity'>;
  /** --isolation principal or shared: the mode and each shared child, counted once. */
  isolation?: { mode: string; sharedChildren: object[] };
}

/** The last stderr lines a session shows. */
const STDERR_LINES = 5;

export function statusView(sources: StatusSources, scope: StatusScope, now: number): object {
  const sessions: object[] = [];
  for (const session of sources.sessions) {
    if (scope === 'all' || isSamePrincipal(session.principal, scope)) sessions.push(sessionStatus(session, now));
  }
  if (scope !== 'all') return { principal: scope.name, sessions, limits: sources.limits };
  const all = { sessions, pool: sources.pool, children: sources.children, memory: sources.memory, limits: sources.limits };
  return sources.isolation ? { ...all, isolation: sources.isolation } : all;
}

function sessionStatus(session: Session, now: number): object {
  return {
    id: session.id,
    transport: session.transport,
    principal: session.principal.name,
    pid: session.pid,
    ageMs: now - session.createdAt,
    idleMs: now - session.lastActivityAt,
    inFlight: session.inFlight,
    rssBytes: session.child.rssBytes,
    restarts: session.restarts,
    droppedMessages: session.streams.dropped,
    protocolVersion: session.protocolVersion,
    era: session.era,
    listens: session.listens,
    stderr: session.child.stderr.tail().slice(-STDERR_LINES),
  };
}
