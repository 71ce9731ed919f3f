/**
 * What a session is made with and what it tells: its options (limits, restart policy, the policy
 * hooks of its host), its hooks, what it reports as it relays, and the shapes of its outcomes.
 */
import type { Principal } from '../auth/principal.js';
import type { RequestVerdict } from '../auth/request-policy.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Framed, JsonRpcResponse } from '../jsonrpc/message.js';
import type { ExitRecord, StopReason } from '../supervisor/exit-record.js';
import type { RestartPolicy } from '../supervisor/restart-policy.js';
import type { ChildLink } from './child-link.js';
import type { HeldMessagesLimits } from './held-messages.js';
import type { Pending, RequestDone } from './in-flight.js';
import type { NotRestarted } from './restart.js';
import type { Session } from './session.js';

/** What a session reports as it relays (metrics and the audit log listen). */
export interface SessionObserver {
  requestDone(session: Session, done: RequestDone): void;
  bytesIn(bytes: number): void;
  bytesOut(bytes: number): void;
  dropped(count: number): void;
  restarted(): void;
}

export type { Pending, RequestDone };

/** Why a session ended: asked for (DELETE, idle, ttl, shutdown, …), or its child was not restarted. */
export type SessionEndReason = StopReason | NotRestarted;

/**
 * What became of a client request: on its way to the child (or answered on its sink, e.g. a tool
 * the principal may not call), refused for reusing an id in flight, or refused by a limit, which
 * the transport answers with the reason's status and `Retry-After`.
 */
export type SubmitOutcome = 'accepted' | 'duplicate-id' | { refused: WireErrorReason; retryAfterSeconds: number };

/** What became of a client notification or response: written to the child, too late (the session ended), or refused by the sender's --rate-limit. */
export type ForwardOutcome = 'forwarded' | 'ended' | { refused: WireErrorReason; retryAfterSeconds: number };

export interface SessionHooks {
  /** The session is over; called once, with the last child's exit record. */
  onEnded(session: Session, record: ExitRecord, reason: SessionEndReason): void;
  /** A child answered initialize successfully. */
  onInitialized?(session: Session): void;
}

export interface SessionOptions {
  held: HeldMessagesLimits;
  /** How many of the child's last stderr lines an error message quotes. */
  stderrLinesInErrors: number;
  maxInFlight: number;
  restart: RestartPolicy;
  /** Bound on each replayed request of a restart. */
  replayTimeoutMs: number;
  /** A new child for this session, when its child must be replaced. */
  launch(): ChildLink;
  observer: SessionObserver;
  /** Keep tools/call arguments for the audit log (--log-tool-args). */
  logToolArgs: boolean;
  /**
   * Whether `principal` may send this request now (tool policy, rate limits). The principal is the
   * request's own (its token's scopes), which may differ from the session opener's in scopes.
   */
  admit(principal: Principal, method: string, tool: string | undefined): RequestVerdict;
  /** Whether `principal` may send a notification or response now (its --rate-limit). */
  admitMessage(principal: Principal): RequestVerdict;
  /** An answer as the principal who sent the request may see it (a filtered tools/list). */
  filterAnswer(principal: Principal, method: string, framed: Framed<JsonRpcResponse>): Framed<JsonRpcResponse>;
  /**
   * The client's connection is the session (legacy SSE, WebSocket): an open connection does not
   * keep the session from being idle, as an open GET stream does for Streamable HTTP.
   */
  connectionBound: boolean;
}
