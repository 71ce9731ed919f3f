/**
 * A session binds one client to one child and routes every message between them to exactly one
 * place (routing.ts decides where). It survives its child: when the child exits unasked, the
 * requests in flight get an error at once, and the restart policy decides whether a new child is
 * started and brought up to date (restart.ts) or the session ends, so that later requests get 404.
 *
 * The session does not know which transport carries it, nor how its children are obtained: the key
 * that binds client to child is the session id today and can be a principal or a pool slot later.
 */
import type { Framed, JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/message.js';
import { progressTokenOf } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import type { RequestOutcome } from '../observability/metrics.js';
import type { RequestContext } from '../observability/request-context.js';
import type { ChildProcess } from '../supervisor/child-process.js';
import { describeExit, type ExitRecord, type StopReason } from '../supervisor/exit-record.js';
import type { RestartPolicy } from '../supervisor/restart-policy.js';
import { WIRE_ERRORS, wireError, type WireErrorReason } from '../errors/wire.js';
import { HeldMessages, type HeldMessagesLimits } from './held-messages.js';
import { InternalRequests } from './internal-requests.js';
import { RecordedState } from './recorded-state.js';
import { decideRestart, restartChild } from './restart.js';
import { streamFor } from './routing.js';
import type { MessageSink, RequestSink } from './sink.js';

export interface Pending {
  sink: RequestSink;
  method: string;
  progressToken: JsonRpcId | undefined;
  startedAt: number;
  /** For tools/call: the tool's name. */
  tool: string | undefined;
  /** For tools/call with --log-tool-args: its arguments. */
  arguments?: unknown;
  context: RequestContext | undefined;
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

/** What a session reports as it relays (metrics and the audit log listen). */
export interface SessionObserver {
  requestDone(session: Session, done: RequestDone): void;
  bytesIn(bytes: number): void;
  bytesOut(bytes: number): void;
  dropped(count: number): void;
  restarted(): void;
}

/** `accepted`: the request's stream will get an answer, from the child or, if it is gone, an error. */
export type SubmitOutcome = 'accepted' | 'duplicate-id' | 'too-many-in-flight';

export interface SessionHooks {
  /** The session is over; called once, with the last child's exit record. */
  onEnded(session: Session, record: ExitRecord, why: string): void;
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
  launch(): ChildProcess;
  observer: SessionObserver;
  /** Keep tools/call arguments for the audit log (--log-tool-args). */
  logToolArgs: boolean;
}

type State = 'running' | 'restarting' | 'ended';

export class Session {
  readonly id: string;
  readonly transport: string;
  readonly createdAt = Date.now();
  lastActivityAt = Date.now();
  /** Requests the client sent after initialize (a session that sends none is a probe). */
  requestsAfterInitialize = 0;
  /** The protocol version the child agreed to in its initialize result. */
  protocolVersion: string | undefined;
  serverName: string | undefined;
  initialized = false;
  restarts = 0;
  readonly logger: Logger;
  child: ChildProcess;
  readonly recorded = new RecordedState();
  readonly internal = new InternalRequests();
  /** Child messages dropped because their stream's client had left, or evicted while held. */
  droppedMessages = 0;
  readonly pending = new Map<JsonRpcId, Pending>();
  readonly progress = new Map<JsonRpcId, RequestSink>();
  standalone: MessageSink | undefined;
  /** Start times of this session's children, for the crash-loop guard. */
  starts: number[] = [Date.now()];
  readonly options: SessionOptions;
  private readonly hooks: SessionHooks;
  private readonly held: HeldMessages;
  private state: State = 'running';
  private endReason: StopReason | undefined;
  /** Last time the child sent anything: a child silent past --ping-interval is pinged. */
  private lastChildActivityAt = Date.now();
  private pinging = false;
  /** While a restart brings a new child up, client writes wait here; released when it is up or the session ends. */
  private gate: { promise: Promise<void>; release(): void } | undefined;

  constructor(id: string, transport: string, child: ChildProcess, logger: Logger, hooks: SessionHooks, options: SessionOptions) {
    this.id = id;
    this.transport = transport;
    this.logger = logger;
    this.hooks = hooks;
    this.options = options;
    this.held = new HeldMessages(options.held);
    this.child = child;
    this.attach(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Accepting client traffic (also while a restart brings up a new child). */
  get live(): boolean {
    return this.state !== 'ended';
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get hasOpenStream(): boolean {
    return this.standalone?.open === true;
  }

  /** Sends a client request to the child; its answer will go to `sink`. */
  async submitRequest(framed: Framed<JsonRpcRequest>, sink: RequestSink, context?: RequestContext): Promise<SubmitOutcome> {
    const { id, method } = framed.message;
    if (this.pending.has(id)) return 'duplicate-id';
    if (this.pending.size >= this.options.maxInFlight) return 'too-many-in-flight';
    if (this.state === 'ended') {
      this.answer(sink, wireError('SESSION_ENDED', id, 'the session ended before the request reached the server'));
      return 'accepted';
    }
    const progressToken = progressTokenOf(framed.message);
    const params = framed.message.params;
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    const pending: Pending = { sink, method, progressToken, startedAt: Date.now(), tool, context };
    if (tool !== undefined && this.options.logToolArgs) pending.arguments = params?.arguments;
    this.pending.set(id, pending);
    this.options.observer.bytesIn(framed.bytes);
    if (progressToken !== undefined) this.progress.set(progressToken, sink);
    this.lastActivityAt = Date.now();
    if (method !== 'initialize') this.requestsAfterInitialize++;
    this.recorded.observe(framed);
    // If the write fails the child is gone or going: its exit answers this request with an error.
    await this.write(framed.raw);
    return 'accepted';
  }

  /** Sends a client notification or response (an answer to a server→client request) to the child. */
  async forward(framed: Framed<JsonRpcNotification | JsonRpcResponse>): Promise<boolean> {
    if (this.state === 'ended') return false;
    this.lastActivityAt = Date.now();
    this.options.observer.bytesIn(framed.bytes);
    if (framed.kind === 'notification') {
      this.recorded.observe(framed);
      this.onClientNotification(framed.message as JsonRpcNotification);
    }
    await this.write(framed.raw);
    return true;
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

  /** A session whose client never sent a request after initialize, for `unusedMs`. */
  isUnused(now: number, unusedMs: number): boolean {
    return this.requestsAfterInitialize === 0 && this.pending.size === 0 && now - this.createdAt >= unusedMs;
  }

  /**
   * Fails requests older than `timeoutMs` with a JSON-RPC error and tells the child they are
   * cancelled. Returns how many.
   */
  expireRequests(now: number, timeoutMs: number): number {
    let expired = 0;
    for (const [id, pending] of [...this.pending]) {
      if (now - pending.startedAt < timeoutMs) continue;
      expired++;
      this.settle(id);
      this.finish(pending, 'timeout', WIRE_ERRORS.REQUEST_TIMEOUT.code);
      this.answer(pending.sink, wireError('REQUEST_TIMEOUT', id, `no answer within ${timeoutMs}ms (--request-timeout)`));
      const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'request timeout' } };
      void this.write(JSON.stringify(cancel));
      this.logger.warn({ id, method: pending.method, timeoutMs, ...pending.context }, 'request timed out; cancelled at the child');
    }
    return expired;
  }

  /**
   * Pings a child that has been silent for `intervalMs` with nothing in flight; one that does not
   * answer within the interval (at most 30 s) is hung: stopped with result `timeout`, and the
   * restart policy takes it from there.
   */
  pingIfIdle(now: number, intervalMs: number): void {
    if (this.state !== 'running' || !this.initialized || this.pinging || this.pending.size > 0) return;
    if (now - this.lastChildActivityAt < intervalMs) return;
    this.pinging = true;
    const child = this.child;
    const ping = this.internal.create('ping', undefined, Math.min(intervalMs, 30_000));
    void child.write(ping.raw);
    ping.answer.then(
      () => { this.lastChildActivityAt = Date.now(); },
      (error: Error) => {
        if (this.child !== child || !child.alive || this.state !== 'running') return;
        this.logger.warn({ err: error.message }, 'child did not answer ping: treating it as hung and stopping it');
        void child.stop('timeout');
      },
    ).finally(() => { this.pinging = false; });
  }

  /**
   * Ends the session: requests still in flight get an error now, streams close, and the child goes
   * down the stop ladder. Resolves with the child's exit record.
   */
  end(reason: StopReason): Promise<ExitRecord> {
    if (this.state !== 'ended') {
      this.state = 'ended';
      this.endReason = reason;
      this.logger.info({ reason }, 'session ending');
      this.failPending('SESSION_ENDED', `session ended (${reason})`);
      this.internal.failAll(`session ended (${reason})`);
      this.standalone?.close();
      this.releaseGate();
      void this.child.exited.then((record) => this.hooks.onEnded(this, record, reason));
    }
    return this.child.stop(reason);
  }

  /** Writes to the current child, waiting while a restart brings a new one up. */
  private async write(raw: string): Promise<boolean> {
    if (this.gate) await this.gate.promise;
    if (this.state === 'ended') return false;
    return this.child.write(raw);
  }

  private attach(child: ChildProcess): void {
    this.child = child;
    child.bindLogger(this.logger);
    // A stderr line belongs to a request when that request is the only one in flight.
    child.stderr.context = () => {
      if (this.pending.size !== 1) return undefined;
      return (this.pending.values().next().value as Pending).context;
    };
    child.handlers = {
      onMessage: (framed) => {
        if (this.child === child) this.fromChild(framed);
      },
      onExit: (record) => {
        if (this.child === child) this.onChildExit(record);
      },
    };
  }

  private onClientNotification(message: JsonRpcNotification): void {
    if (message.method !== 'notifications/cancelled') return;
    // The child should not answer a cancelled request; stop waiting for it so its stream can end.
    const requestId = message.params?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.settle(requestId);
    this.finish(pending, 'cancelled');
    pending.sink.abandon(requestId);
  }

  private fromChild(framed: Framed): void {
    this.lastChildActivityAt = Date.now();
    if (framed.kind === 'response') {
      const response = framed.message as JsonRpcResponse;
      if (!this.internal.settle(response.id, response)) this.onChildResponse(framed as Framed<JsonRpcResponse>);
      return;
    }
    this.route(framed, streamFor(this, framed));
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
    const error = framed.message.error;
    const isError = pending.tool !== undefined && (framed.message.result as { isError?: unknown } | undefined)?.isError === true;
    this.finish(pending, error ? 'error' : isError ? 'is-error' : 'success', error?.code);
    if (pending.method === 'initialize') this.onInitializeAnswered(framed.message);
    this.route(framed, pending.sink);
  }

  private onInitializeAnswered(response: JsonRpcResponse): void {
    const result = response.result as { protocolVersion?: unknown; serverInfo?: { name?: unknown } } | undefined;
    if (!result || typeof result.protocolVersion !== 'string') {
      this.logger.warn({ error: response.error }, 'child refused initialize');
      void this.end('session-end');
      return;
    }
    this.protocolVersion = result.protocolVersion;
    this.serverName = typeof result.serverInfo?.name === 'string' ? result.serverInfo.name : undefined;
    this.initialized = true;
    this.hooks.onInitialized?.(this);
  }

  private route(framed: Framed, sink: MessageSink | undefined): void {
    if (sink?.open) {
      this.options.observer.bytesOut(framed.bytes);
      sink.deliver(framed);
      return;
    }
    if (framed.kind === 'response') {
      // Its client went away; the spec lets the answer go, but we say so.
      this.droppedMessages++;
      this.options.observer.dropped(1);
      this.logger.debug({ id: (framed.message as JsonRpcResponse).id }, 'answer for a closed stream dropped');
      return;
    }
    const evicted = this.held.hold(framed);
    if (evicted > 0) {
      this.droppedMessages += evicted;
      this.options.observer.dropped(evicted);
      this.logger.warn({ evicted, held: this.held.size, evictedTotal: this.held.evicted }, 'no open stream for child messages; oldest held messages dropped');
    }
  }

  private settle(id: JsonRpcId): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (pending.progressToken !== undefined) this.progress.delete(pending.progressToken);
  }

  private answer(sink: RequestSink, body: ReturnType<typeof wireError>): void {
    const raw = JSON.stringify(body);
    sink.deliver({ kind: 'response', message: body as JsonRpcResponse, raw, bytes: raw.length });
  }

  private finish(pending: Pending, outcome: RequestOutcome, errorCode?: number): void {
    const done: RequestDone = { method: pending.method, tool: pending.tool, outcome, durationMs: Date.now() - pending.startedAt, context: pending.context };
    if (errorCode !== undefined) done.errorCode = errorCode;
    if (pending.arguments !== undefined) done.arguments = pending.arguments;
    this.options.observer.requestDone(this, done);
  }

  private failPending(reason: WireErrorReason, detail: string, data?: Record<string, unknown>): void {
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    this.progress.clear();
    const outcome: RequestOutcome = reason === 'SESSION_ENDED' ? 'session-ended' : 'error';
    for (const [id, pending] of waiting) {
      this.finish(pending, outcome, WIRE_ERRORS[reason].code);
      this.answer(pending.sink, wireError(reason, id, detail, data));
    }
  }

  private onChildExit(record: ExitRecord): void {
    if (this.state === 'ended') return;
    const stderr = this.child.stderr.tail();
    const quoted = stderr.slice(-this.options.stderrLinesInErrors);
    const how = record.result === 'spawn-failed' ? (record.error ?? 'spawn failed') : `it ${describeExit(record)}`;
    const detail = `${how}${quoted.length > 0 ? `; its last stderr lines: ${quoted.join(' | ')}` : ''}`;
    this.failPending(record.result === 'spawn-failed' ? 'CHILD_START_FAILED' : 'CHILD_EXITED', detail, { exit: record, stderr });
    // A child that dies while a restart replays to it fails the replay; the restart decides next.
    this.internal.failAll(`the child ${describeExit(record)}`);
    if (this.state === 'running') this.afterExit(record);
  }

  /** The restart policy's verdict on an exit: a new child, or the end of the session. */
  private afterExit(record: ExitRecord): void {
    const decision = decideRestart(this, record);
    if (decision.restart) {
      this.restart(record, decision.delayMs);
      return;
    }
    this.state = 'ended';
    this.standalone?.close();
    this.releaseGate();
    this.logger.warn({ exit: record, initialized: this.initialized }, `session ended: its child ${describeExit(record)}; ${decision.why}`);
    this.hooks.onEnded(this, record, decision.why);
  }

  private restart(record: ExitRecord, delayMs: number): void {
    this.state = 'restarting';
    this.restarts++;
    this.options.observer.restarted();
    if (!this.gate) {
      let release = (): void => undefined;
      const promise = new Promise<void>((resolve) => { release = resolve; });
      this.gate = { promise, release };
    }
    this.logger.warn({ exit: record, delayMs, restarts: this.restarts }, `restarting the session's child in ${delayMs}ms`);
    restartChild(this, delayMs, (child) => this.attach(child)).then(
      () => {
        if (this.state !== 'restarting') return;
        this.state = 'running';
        this.releaseGate();
      },
      (error: Error) => {
        if (this.state !== 'restarting') return;
        if (!this.child.alive) {
          // The new child died too: its exit goes through the policy again (the start limit ends loops).
          void this.child.exited.then((exit) => this.afterExit(exit));
          return;
        }
        this.logger.warn({ err: error.message }, 'restart failed; ending the session');
        void this.end('session-end');
      },
    );
  }

  private releaseGate(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.release();
  }
}
