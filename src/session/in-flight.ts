/**
 * The requests of one session that wait for their answer: by id, and by progress token for the
 * streams their progress goes to. Every request leaves through here exactly once — answered,
 * failed, timed out or cancelled — and each exit is reported with its outcome (metrics, audit).
 */
import type { Principal } from '../auth/principal.js';
import { WIRE_ERRORS, wireError, type WireErrorReason } from '../errors/wire.js';
import type { JsonRpcId } from '../jsonrpc/message.js';
import type { RequestOutcome } from '../observability/metrics.js';
import type { RequestContext } from '../observability/request-context.js';
import type { RequestSink } from './sink.js';

export interface Pending {
  sink: RequestSink;
  method: string;
  /** Who sent the request (its HTTP request's token, not the session opener's): its answer is filtered for them. */
  principal: Principal;
  progressToken: JsonRpcId | undefined;
  startedAt: number;
  /** For tools/call: the tool's name. */
  tool: string | undefined;
  /** For tools/call with --log-tool-args: its arguments. */
  arguments?: unknown;
  context: RequestContext | undefined;
  /** Gives back what admitting the request took (a per-principal concurrency slot). */
  release?: () => void;
  /**
   * Since when the request waits for its client rather than its server (held for input,
   * session/input/): --request-timeout does not run then; --input-required-timeout does.
   */
  heldSince?: number;
  /** Time spent held in earlier rounds, left out of --request-timeout. */
  heldMs?: number;
}

/** A request's end, as metrics and the audit log see it. */
export interface RequestDone {
  method: string;
  tool: string | undefined;
  outcome: RequestOutcome;
  durationMs: number;
  errorCode?: number;
  context: RequestContext | undefined;
  arguments?: unknown;
}

/** Sends a daemon-made error response on a request's stream. */
export function answerWithError(sink: RequestSink, body: ReturnType<typeof wireError>): void {
  const raw = JSON.stringify(body);
  // Byte length, not string length: the message may quote the child's stderr in any script.
  sink.deliver({ kind: 'response', message: body, raw, bytes: Buffer.byteLength(raw) });
}

export class InFlightRequests {
  readonly byId = new Map<JsonRpcId, Pending>();
  readonly progress = new Map<JsonRpcId, RequestSink>();
  private readonly report: (done: RequestDone) => void;

  constructor(report: (done: RequestDone) => void) {
    this.report = report;
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: JsonRpcId): boolean {
    return this.byId.has(id);
  }

  add(id: JsonRpcId, pending: Pending): void {
    this.byId.set(id, pending);
    if (pending.progressToken !== undefined) this.progress.set(pending.progressToken, pending.sink);
  }

  /** The ids of the requests whose answers go to `sink`. */
  idsOf(sink: RequestSink): JsonRpcId[] {
    const ids: JsonRpcId[] = [];
    for (const [id, pending] of this.byId) if (pending.sink === sink) ids.push(id);
    return ids;
  }

  /** The one request in flight, when there is exactly one. */
  only(): Pending | undefined {
    return this.byId.size === 1 ? (this.byId.values().next().value) : undefined;
  }

  /**
   * Removes a request and reports how it ended; `undefined` if it was not in flight. `first` runs
   * between the two: the answer goes to its client before metrics and the audit log are written.
   */
  settle(id: JsonRpcId, outcome: RequestOutcome, errorCode?: number, first?: (pending: Pending) => void): Pending | undefined {
    const pending = this.byId.get(id);
    if (!pending) return undefined;
    this.byId.delete(id);
    if (pending.progressToken !== undefined) this.progress.delete(pending.progressToken);
    pending.release?.();
    first?.(pending);
    const done: RequestDone = { method: pending.method, tool: pending.tool, outcome, durationMs: Date.now() - pending.startedAt, context: pending.context };
    if (errorCode !== undefined) done.errorCode = errorCode;
    if (pending.arguments !== undefined) done.arguments = pending.arguments;
    this.report(done);
    return pending;
  }

  /** Answers every request with a registry error (the child exited, the session ended). */
  failAll(reason: WireErrorReason, detail: string, data?: Record<string, unknown>): void {
    const outcome: RequestOutcome = reason === 'SESSION_ENDED' ? 'session-ended' : 'error';
    for (const id of [...this.byId.keys()]) {
      const pending = this.settle(id, outcome, WIRE_ERRORS[reason].code) as Pending;
      answerWithError(pending.sink, wireError(reason, id, detail, data));
    }
  }

  /** Marks a request as waiting for its client (true) or its server again (false). */
  hold(id: JsonRpcId, held: boolean, now: number): void {
    const pending = this.byId.get(id);
    if (!pending) return;
    if (held) pending.heldSince ??= now;
    else if (pending.heldSince !== undefined) {
      pending.heldMs = (pending.heldMs ?? 0) + now - pending.heldSince;
      pending.heldSince = undefined;
    }
  }

  /** Fails requests that waited for their server longer than `timeoutMs`; returns their ids (the caller cancels them at the child). */
  expire(now: number, timeoutMs: number): { id: JsonRpcId; pending: Pending }[] {
    const expired: { id: JsonRpcId; pending: Pending }[] = [];
    for (const [id, pending] of [...this.byId]) {
      if (pending.heldSince !== undefined || now - pending.startedAt - (pending.heldMs ?? 0) < timeoutMs) continue;
      this.settle(id, 'timeout', WIRE_ERRORS.REQUEST_TIMEOUT.code);
      answerWithError(pending.sink, wireError('REQUEST_TIMEOUT', id, `no answer within ${timeoutMs}ms (--request-timeout)`));
      expired.push({ id, pending });
    }
    return expired;
  }
}
