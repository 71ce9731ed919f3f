/**
 * A session binds one client to one child and routes every message between them to exactly one
 * place. Client → child: requests are tracked by id with the stream that waits for them. Child →
 * client: a response goes to its request's stream; progress to the stream of the request that
 * holds its token; other notifications and server→client requests to the one request in flight
 * if there is exactly one, else to the standalone stream; with no stream open they are held, up
 * to a bound. Nothing is broadcast.
 *
 * The session does not know which transport carries it, nor how its child was obtained: the key
 * that binds client to child is the session id today and can be a principal or a pool slot later.
 */
import type { Framed, JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/message.js';
import { progressTokenOf } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import type { ChildProcess } from '../supervisor/child-process.js';
import { describeExit, type ExitRecord, type StopReason } from '../supervisor/exit-record.js';
import { wireError, type WireErrorReason } from '../errors/wire.js';
import { HeldMessages, type HeldMessagesLimits } from './held-messages.js';
import type { MessageSink, RequestSink } from './sink.js';

interface Pending {
  sink: RequestSink;
  method: string;
  progressToken: JsonRpcId | undefined;
  startedAt: number;
}

/** `accepted`: the request's stream will get an answer, from the child or, if it is gone, an error. */
export type SubmitOutcome = 'accepted' | 'duplicate-id';

export interface SessionHooks {
  /** The session is over (its child exited or it was ended); called once. */
  onEnded(session: Session, record: ExitRecord): void;
  /** A child answered initialize successfully. */
  onInitialized?(session: Session): void;
}

export interface SessionOptions {
  held: HeldMessagesLimits;
  /** How many of the child's last stderr lines an error message quotes. */
  stderrLinesInErrors: number;
}

export class Session {
  readonly id: string;
  readonly transport: string;
  readonly createdAt = Date.now();
  lastActivityAt = Date.now();
  /** The protocol version the child agreed to in its initialize result. */
  protocolVersion: string | undefined;
  initialized = false;
  readonly logger: Logger;
  private readonly child: ChildProcess;
  private readonly hooks: SessionHooks;
  private readonly options: SessionOptions;
  private readonly pending = new Map<JsonRpcId, Pending>();
  private readonly progress = new Map<JsonRpcId, RequestSink>();
  private readonly held: HeldMessages;
  private standalone: MessageSink | undefined;
  private endReason: StopReason | undefined;
  private exit: ExitRecord | undefined;
  /** Child messages that found no open stream and were dropped (their stream's client left). */
  droppedMessages = 0;

  constructor(id: string, transport: string, child: ChildProcess, logger: Logger, hooks: SessionHooks, options: SessionOptions) {
    this.id = id;
    this.transport = transport;
    this.child = child;
    this.logger = logger;
    this.hooks = hooks;
    this.options = options;
    this.held = new HeldMessages(options.held);
    child.handlers = {
      onMessage: (framed) => this.fromChild(framed),
      onExit: (record) => this.onChildExit(record),
    };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Accepting client traffic: not ended, and its child not gone. */
  get live(): boolean {
    return this.endReason === undefined && this.exit === undefined && this.child.alive;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get hasOpenStream(): boolean {
    return this.standalone?.open === true;
  }

  /** Sends a client request to the child; its answer will go to `sink`. */
  async submitRequest(framed: Framed<JsonRpcRequest>, sink: RequestSink): Promise<SubmitOutcome> {
    const { id, method } = framed.message;
    if (this.pending.has(id)) return 'duplicate-id';
    if (this.exit !== undefined || this.endReason !== undefined) {
      const body = wireError('SESSION_ENDED', id, 'the session ended before the request reached the server');
      sink.deliver({ kind: 'response', message: body, raw: JSON.stringify(body) });
      return 'accepted';
    }
    const progressToken = progressTokenOf(framed.message);
    this.pending.set(id, { sink, method, progressToken, startedAt: Date.now() });
    if (progressToken !== undefined) this.progress.set(progressToken, sink);
    this.lastActivityAt = Date.now();
    if (!(await this.child.write(framed.raw)) && this.child.alive) {
      // stdin is gone but the process is not: it can serve nothing more.
      void this.end('session-end');
    }
    // If the write failed, the exit (or the end) answers this request with an error.
    return 'accepted';
  }

  /** Sends a client notification or response (an answer to a server→client request) to the child. */
  async forward(framed: Framed<JsonRpcNotification | JsonRpcResponse>): Promise<boolean> {
    this.lastActivityAt = Date.now();
    if (framed.kind === 'notification') this.onClientNotification(framed.message as JsonRpcNotification);
    return this.child.write(framed.raw);
  }

  /** Attaches the client's standalone stream (GET); false when one is already open. */
  openStandalone(sink: MessageSink): boolean {
    if (this.standalone?.open) return false;
    this.standalone = sink;
    this.lastActivityAt = Date.now();
    for (const framed of this.held.take()) sink.deliver(framed);
    return true;
  }

  /** The standalone stream closed on the client's side. */
  standaloneClosed(sink: MessageSink): void {
    if (this.standalone === sink) {
      this.standalone = undefined;
      this.lastActivityAt = Date.now();
    }
  }

  isIdle(now: number, idleTimeoutMs: number): boolean {
    return this.pending.size === 0 && !this.hasOpenStream && now - this.lastActivityAt >= idleTimeoutMs;
  }

  /**
   * Ends the session: requests still in flight get an error now, streams close, and the child goes
   * down the stop ladder. Resolves with the child's exit record.
   */
  end(reason: StopReason): Promise<ExitRecord> {
    if (this.endReason === undefined && this.exit === undefined) {
      this.endReason = reason;
      this.logger.info({ reason }, 'session ending');
      this.failPending('SESSION_ENDED', `session ended (${reason})`);
      this.standalone?.close();
    }
    return this.child.stop(reason);
  }

  private onClientNotification(message: JsonRpcNotification): void {
    if (message.method !== 'notifications/cancelled') return;
    // The child should not answer a cancelled request; stop waiting for it so its stream can end.
    const requestId = message.params?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.settle(requestId);
    pending.sink.abandon(requestId);
  }

  private fromChild(framed: Framed): void {
    if (framed.kind === 'response') {
      this.onChildResponse(framed as Framed<JsonRpcResponse>);
      return;
    }
    this.route(framed, this.streamFor(framed));
  }

  private onChildResponse(framed: Framed<JsonRpcResponse>): void {
    const id = framed.message.id;
    const pending = id === null ? undefined : this.pending.get(id);
    if (!pending || id === null) {
      this.logger.debug({ id }, 'child answered a request that is no longer in flight; dropped');
      this.droppedMessages++;
      return;
    }
    this.settle(id);
    this.lastActivityAt = Date.now();
    if (pending.method === 'initialize') this.onInitializeAnswered(framed.message);
    this.route(framed, pending.sink);
  }

  private onInitializeAnswered(response: JsonRpcResponse): void {
    const result = response.result as { protocolVersion?: unknown } | undefined;
    if (!result || typeof result.protocolVersion !== 'string') {
      this.logger.warn({ error: response.error }, 'child refused initialize');
      void this.end('session-end');
      return;
    }
    this.protocolVersion = result.protocolVersion;
    this.initialized = true;
    this.hooks.onInitialized?.(this);
  }

  /** The stream for a child notification or request (not a response). */
  private streamFor(framed: Framed): MessageSink | undefined {
    const message = framed.message as JsonRpcNotification;
    if (message.method === 'notifications/progress') {
      const token = message.params?.progressToken;
      const sink = token === undefined ? undefined : this.progress.get(token as JsonRpcId);
      if (sink?.open) return sink;
    }
    if (this.pending.size === 1) {
      const only = this.pending.values().next().value as Pending;
      if (only.sink.open) return only.sink;
    }
    if (this.standalone?.open) return this.standalone;
    if (framed.kind === 'request') {
      // A server→client request must reach the client somehow: the newest open request stream.
      let newest: RequestSink | undefined;
      for (const pending of this.pending.values()) if (pending.sink.open) newest = pending.sink;
      return newest;
    }
    return undefined;
  }

  private route(framed: Framed, sink: MessageSink | undefined): void {
    if (sink?.open) {
      sink.deliver(framed);
      return;
    }
    if (framed.kind === 'response') {
      // Its client went away; the spec lets the answer go, but we say so.
      this.droppedMessages++;
      this.logger.debug({ id: (framed.message as JsonRpcResponse).id }, 'answer for a closed stream dropped');
      return;
    }
    const evicted = this.held.hold(framed);
    if (evicted > 0) {
      this.droppedMessages += evicted;
      this.logger.warn({ evicted, held: this.held.size, evictedTotal: this.held.evicted }, 'no open stream for child messages; oldest held messages dropped');
    }
  }

  private settle(id: JsonRpcId): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (pending.progressToken !== undefined) this.progress.delete(pending.progressToken);
  }

  private failPending(reason: WireErrorReason, detail: string, data?: Record<string, unknown>): void {
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    this.progress.clear();
    for (const [id, pending] of waiting) {
      const body = wireError(reason, id, detail, data);
      pending.sink.deliver({ kind: 'response', message: body, raw: JSON.stringify(body) });
    }
  }

  private onChildExit(record: ExitRecord): void {
    this.exit = record;
    if (this.endReason === undefined) {
      const stderr = this.child.stderr.tail();
      const quoted = stderr.slice(-this.options.stderrLinesInErrors);
      const how = record.result === 'spawn-failed' ? (record.error ?? 'spawn failed') : `it ${describeExit(record)}`;
      const detail = `${how}${quoted.length > 0 ? `; its last stderr lines: ${quoted.join(' | ')}` : ''}`;
      const reason: WireErrorReason = record.result === 'spawn-failed' ? 'CHILD_START_FAILED' : 'CHILD_EXITED';
      this.failPending(reason, detail, { exit: record, stderr });
      this.standalone?.close();
      this.logger.warn(
        { exit: record, initialized: this.initialized },
        record.result === 'spawn-failed' ? 'session ended: its child could not be started' : 'session ended: its child exited',
      );
    }
    this.hooks.onEnded(this, record);
  }
}
