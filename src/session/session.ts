/**
 * A session binds one client to one child and routes every message between them to exactly one
 * place (routing.ts decides where). It survives its child: when the child exits unasked, the
 * requests in flight get an error at once, and the restart policy decides whether a new child is
 * started and brought up to date (restart.ts) or the session ends, so that later requests get 404.
 *
 * The session does not know which transport carries it, nor how its children are obtained: the key
 * that binds client to child is the session id today and can be a principal or a pool slot later.
 */
import type { Principal } from '../auth/principal.js';
import type { Framed, JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/message.js';
import { isToolError } from '../jsonrpc/large-answer.js';
import { isChangeNotification } from '../protocol/subscriptions.js';
import { progressTokenOf } from '../jsonrpc/message.js';
import { auditLoggerOf } from '../observability/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { TransportName } from '../observability/metrics.js';
import type { RequestContext } from '../observability/request-context.js';
import { describeExit, type ExitRecord, type StopReason } from '../supervisor/exit-record.js';
import { wireError } from '../errors/wire.js';
import { Backpressure } from './backpressure.js';
import type { ChildLink } from './child-link.js';
import { ClientStreams } from './client-streams.js';
import { answerWithError, InFlightRequests, type Pending, type RequestDone } from './in-flight.js';
import { InternalRequests } from './internal-requests.js';
import { Liveness } from './liveness.js';
import { RecordedState } from './recorded-state.js';
import { decideRestart, restartChild } from './restart.js';
import { streamFor } from './routing.js';
import type { ForwardOutcome, SessionEndReason, SessionHooks, SessionObserver, SessionOptions, SubmitOutcome } from './session-options.js';
import type { MessageSink, RequestSink } from './sink.js';
import { WriteGate } from './write-gate.js';

export type { ForwardOutcome, Pending, RequestDone, SessionEndReason, SessionHooks, SessionObserver, SessionOptions, SubmitOutcome };

type State = 'running' | 'restarting' | 'ended';

export class Session {
  readonly id: string;
  readonly transport: TransportName;
  /** Who opened the session: only they may use it. */
  readonly principal: Principal;
  readonly createdAt = Date.now();
  lastActivityAt = Date.now();
  /** Requests the client sent after initialize (a session that sends none is a probe). */
  requestsAfterInitialize = 0;
  /** Who the client is: a 2025-era client's own session, or a lease serving 2026-07-28 requests. */
  era: 'legacy' | 'modern' = 'legacy';
  /** The protocol version the child agreed to in its initialize result. */
  protocolVersion: string | undefined;
  serverName: string | undefined;
  initialized = false;
  initializedAt: number | undefined;
  /** Its initialize got no answer within --request-timeout: there is nothing to serve. */
  initializeTimedOut = false;
  /** The client sent its `notifications/initialized` (the one that is not charged to its rate). */
  private openingCompleted = false;
  restarts = 0;
  readonly logger: Logger;
  /** Where this session's audit lines go (audit-log.ts), made at its first tool call. */
  private auditLog: Logger | undefined;
  child: ChildLink;
  readonly recorded = new RecordedState();
  readonly internal = new InternalRequests();
  readonly inFlightRequests: InFlightRequests;
  readonly streams: ClientStreams;
  /** Start times of this session's children, for the crash-loop guard. */
  starts: number[] = [Date.now()];
  readonly options: SessionOptions;
  /** The client's connection, when it is the session (legacy SSE, WebSocket); it carries everything. */
  connection: RequestSink | undefined;
  /** Pauses the child's stdout while a client connection is behind. */
  readonly flow: Backpressure;
  private readonly hooks: SessionHooks;
  private state: State = 'running';
  /** subscriptions/listen streams pinning this lease's child: while one is open it is not idle. */
  private pins = 0;
  private readonly liveness = new Liveness();
  private readonly gate = new WriteGate();

  constructor(id: string, transport: TransportName, principal: Principal, child: ChildLink, logger: Logger, hooks: SessionHooks, options: SessionOptions) {
    this.id = id;
    this.transport = transport;
    this.principal = principal;
    this.logger = logger;
    this.hooks = hooks;
    this.options = options;
    this.streams = new ClientStreams(options.held, options.observer, logger);
    this.inFlightRequests = new InFlightRequests((done) => options.observer.requestDone(this, done));
    this.child = child;
    this.flow = new Backpressure(child);
    this.attach(child);
  }

  get auditLogger(): Logger {
    this.auditLog ??= auditLoggerOf(this.logger);
    return this.auditLog;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Accepting client traffic (also while a restart brings up a new child). */
  get live(): boolean {
    return this.state !== 'ended';
  }

  get inFlight(): number {
    return this.inFlightRequests.size;
  }

  get hasOpenStream(): boolean {
    return this.streams.hasOpenStream;
  }

  /** Open subscriptions/listen streams pinning this session's child. */
  get listens(): number {
    return this.pins;
  }

  /**
   * Keeps the session from being reaped as idle or unused while a subscriptions/listen stream
   * watches through its child; returns the unpin (idempotent), from which the idle clock starts again.
   */
  pin(): () => void {
    this.pins++;
    let pinned = true;
    return () => {
      if (!pinned) return;
      pinned = false;
      this.pins--;
      this.lastActivityAt = Date.now();
    };
  }

  /**
   * Sends a client request to the child; its answer will go to `sink`. `principal` is who sent
   * this request (the token on its HTTP request; on a WebSocket, the upgrade's): the tool policy
   * and the limits are checked for them, and a tools/list answer is filtered for them.
   */
  async submitRequest(framed: Framed<JsonRpcRequest>, sink: RequestSink, principal: Principal, context?: RequestContext): Promise<SubmitOutcome> {
    const { id, method } = framed.message;
    if (this.inFlightRequests.has(id)) return 'duplicate-id';
    if (this.inFlightRequests.size >= this.options.maxInFlight) return { refused: 'TOO_MANY_IN_FLIGHT', retryAfterSeconds: 1 };
    if (this.state === 'ended') {
      answerWithError(sink, wireError('SESSION_ENDED', id, 'the session ended before the request reached the server'));
      return 'accepted';
    }
    const params = framed.message.params;
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    const verdict = this.options.admit(principal, method, tool);
    if (!verdict.ok) {
      if (verdict.reason !== 'TOOL_FORBIDDEN') return { refused: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds ?? 1 };
      this.logger.warn({ tool, principal: principal.name, scopes: principal.scopes, ...context }, 'tools/call of a tool this principal may not use: refused');
      answerWithError(sink, wireError('TOOL_FORBIDDEN', id, `tool ${JSON.stringify(tool)}`));
      return 'accepted';
    }
    const progressToken = progressTokenOf(framed.message);
    const pending: Pending = { sink, method, principal, progressToken, startedAt: Date.now(), tool, context };
    if (verdict.release) pending.release = verdict.release;
    if (tool !== undefined && this.options.logToolArgs) pending.arguments = params?.arguments;
    this.inFlightRequests.add(id, pending);
    // The write starts now (when no restart holds it); the bookkeeping follows it, off the path of
    // the request. If the write fails the child is gone or going: its exit answers with an error.
    const written = this.write(framed.raw);
    this.options.observer.bytesIn(framed.bytes);
    this.lastActivityAt = Date.now();
    if (method !== 'initialize') this.requestsAfterInitialize++;
    this.recorded.observe(framed);
    await written;
    return 'accepted';
  }

  /**
   * Sends a client notification or response (an answer to a server→client request) to the child,
   * when `principal` (the sender of the HTTP request or WebSocket message that carries it) is
   * within its --rate-limit: every message counts, except the one `notifications/initialized`
   * that completes the opening (counted once, as the session's opening).
   */
  async forward(framed: Framed<JsonRpcNotification | JsonRpcResponse>, principal: Principal): Promise<ForwardOutcome> {
    if (this.state === 'ended') return 'ended';
    const method = framed.kind === 'notification' ? (framed.message as JsonRpcNotification).method : undefined;
    if (method === 'notifications/initialized' && !this.openingCompleted) {
      this.openingCompleted = true;
    } else {
      const verdict = this.options.admitMessage(principal);
      if (!verdict.ok) return { refused: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds ?? 1 };
    }
    this.lastActivityAt = Date.now();
    this.options.observer.bytesIn(framed.bytes);
    if (framed.kind === 'notification') {
      this.recorded.observe(framed);
      this.onClientNotification(framed.message as JsonRpcNotification);
    }
    await this.write(framed.raw);
    return 'forwarded';
  }

  /**
   * Writes a message the daemon itself makes to the child (an answer to the child's ping on a
   * leased session): not a client's, so no policy or rate applies.
   */
  sendToChild(message: object): void {
    if (this.state === 'ended') return;
    void this.write(JSON.stringify(message));
  }

  /** Asks the child something for the daemon itself (a lease learning the tools' schemas). */
  ask(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<JsonRpcResponse> {
    const { raw, answer } = this.internal.create(method, params, timeoutMs);
    void this.write(raw);
    return answer;
  }

  /**
   * A request's client has gone (a modern client closed its response): settled as cancelled here,
   * and `notifications/cancelled` tells the child to stop. False when it was no longer in flight.
   */
  /** A request now waits for its client's input (true), or for its server again (false): see InFlightRequests.hold. */
  holdRequest(id: JsonRpcId, held: boolean): void {
    this.inFlightRequests.hold(id, held, Date.now());
  }

  cancelRequest(id: JsonRpcId, reason: string): boolean {
    if (!this.inFlightRequests.settle(id, 'cancelled')) return false;
    this.sendToChild({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
    return true;
  }

  /**
   * Takes over a child the pool initialized ahead of any client (prepare-spare.ts): its initialize
   * and notifications/initialized are recorded as this session's own (a restart replays them), and
   * the session is initialized as if its client had sent them. Returns the initialize result.
   */
  adoptPrepared(): Record<string, unknown> | undefined {
    const prepared = this.child.prepared;
    if (!prepared) return undefined;
    this.recorded.observe(prepared.initialize);
    this.recorded.observe(prepared.initialized);
    this.openingCompleted = true;
    this.onInitializeAnswered(prepared.result.message as JsonRpcResponse);
    return (prepared.result.message as JsonRpcResponse).result as Record<string, unknown> | undefined;
  }

  /** Binds the client's connection, for transports where it is the session (legacy SSE, WebSocket). */
  attachConnection(sink: RequestSink): void {
    this.connection = sink;
    this.openStandalone(sink);
  }

  /** Attaches the client's standalone stream (GET); false when one is already open. */
  openStandalone(sink: MessageSink): boolean {
    if (!this.streams.openStandalone(sink)) return false;
    this.lastActivityAt = Date.now();
    return true;
  }

  /** The standalone stream closed on the client's side. */
  standaloneClosed(sink: MessageSink): void {
    if (this.streams.standaloneClosed(sink)) this.lastActivityAt = Date.now();
  }

  isIdle(now: number, idleTimeoutMs: number): boolean {
    // A client's open GET stream keeps its session; a lease's stream is the daemon's own (lease-standalone.ts).
    const held = this.pins > 0 || (!this.options.connectionBound && this.era === 'legacy' && this.hasOpenStream);
    return this.inFlightRequests.size === 0 && !held && now - this.lastActivityAt >= idleTimeoutMs;
  }

  /**
   * A session whose client sent no request in the `unusedMs` since initialize was answered; for a
   * connection-bound one (legacy SSE, WebSocket), also one whose client never sent initialize.
   */
  isUnused(now: number, unusedMs: number): boolean {
    const since = this.initializedAt ?? (this.options.connectionBound ? this.createdAt : undefined);
    if (since === undefined || this.pins > 0) return false;
    return this.requestsAfterInitialize === 0 && this.inFlightRequests.size === 0 && now - since >= unusedMs;
  }

  /**
   * Fails requests older than `timeoutMs` with a JSON-RPC error and tells the child they are
   * cancelled. Returns how many.
   */
  expireRequests(now: number, timeoutMs: number): number {
    const expired = this.inFlightRequests.expire(now, timeoutMs);
    if (!this.initialized && expired.some(({ pending }) => pending.method === 'initialize')) {
      // Its client never got the session id (or, on a connection, a session to use): the sweep ends it.
      this.logger.warn({ timeoutMs }, 'initialize timed out: ending the session');
      this.initializeTimedOut = true;
    }
    for (const { id, pending } of expired) {
      const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'request timeout' } };
      void this.write(JSON.stringify(cancel));
      this.logger.warn({ id, method: pending.method, timeoutMs, ...pending.context }, 'request timed out; cancelled at the child');
    }
    return expired.length;
  }

  /**
   * Pings a child that has been silent for `intervalMs` with nothing in flight; one that does not
   * answer within the interval (at most 30 s) is hung: stopped with result `timeout`, and the
   * restart policy takes it from there.
   */
  pingIfIdle(now: number, intervalMs: number): void {
    if (this.state !== 'running' || !this.initialized || this.inFlightRequests.size > 0) return;
    const child = this.child;
    this.liveness.pingIfSilent(now, intervalMs, child, this.internal, (error) => {
      if (this.child !== child || !child.alive || this.state !== 'running') return;
      this.logger.warn({ err: error.message }, 'child did not answer ping: treating it as hung and stopping it');
      void child.stop('timeout');
    });
  }

  /**
   * Ends the session: requests still in flight get an error now, streams close, and the child goes
   * down the stop ladder. Resolves with the child's exit record.
   */
  end(reason: StopReason): Promise<ExitRecord> {
    if (this.state !== 'ended') {
      this.logger.info({ reason }, 'session ending');
      this.inFlightRequests.failAll('SESSION_ENDED', `session ended (${reason})`);
      this.internal.failAll(`session ended (${reason})`);
      this.markEnded(reason);
      void this.child.exited.then((record) => this.hooks.onEnded(this, record, reason));
    }
    return this.child.stop(reason);
  }

  /**
   * Cancels the requests whose answers go to `sink` (a stream no client will read again): the child
   * gets notifications/cancelled for each, and each leaves the in-flight table as cancelled, so
   * its slot frees. The sink is not told; its owner ends it. Returns their ids.
   */
  cancelRequestsOf(sink: RequestSink, reason: string): JsonRpcId[] {
    const ids = this.inFlightRequests.idsOf(sink);
    for (const id of ids) {
      this.inFlightRequests.settle(id, 'cancelled');
      void this.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } }));
    }
    return ids;
  }

  /** Writes to the current child, waiting while a restart brings a new one up. */
  private write(raw: string): Promise<boolean> {
    if (this.gate.isOpen && this.state !== 'ended') return this.child.write(raw);
    return this.gatedWrite(raw);
  }

  private async gatedWrite(raw: string): Promise<boolean> {
    await this.gate.pass();
    if (this.state === 'ended') return false;
    return this.child.write(raw);
  }

  private attach(child: ChildLink): void {
    if (child !== this.child) this.flow.replaceChild(child);
    this.child = child;
    child.bindLogger(this.logger);
    // A stderr line belongs to a request when that request is the only one in flight.
    child.stderr.context = () => this.inFlightRequests.only()?.context;
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
    this.inFlightRequests.settle(requestId, 'cancelled')?.sink.abandon(requestId);
  }

  private fromChild(framed: Framed): void {
    this.liveness.heard();
    if (framed.kind === 'response') {
      const response = framed.message as JsonRpcResponse;
      if (!this.internal.settle(response.id, response)) this.onChildResponse(framed as Framed<JsonRpcResponse>);
      return;
    }
    // A lease's list changes and resource updates belong to no request: its standalone sink takes
    // them to the principal's listen streams (lease-standalone.ts), whichever call caused them.
    const change = this.era === 'modern' && framed.kind === 'notification' && isChangeNotification((framed.message as JsonRpcNotification).method);
    this.streams.route(framed, change ? this.streams.standalone : streamFor(this.inFlightRequests, this.streams.standalone, framed));
  }

  private onChildResponse(framed: Framed<JsonRpcResponse>): void {
    const { id, error } = framed.message;
    const pending = id === null ? undefined : this.inFlightRequests.byId.get(id);
    if (!pending || id === null) {
      this.logger.debug({ id }, 'child answered a request that is no longer in flight; dropped');
      this.streams.countDropped(1);
      return;
    }
    const isError = pending.tool !== undefined && !error && isToolError(framed);
    this.lastActivityAt = Date.now();
    this.inFlightRequests.settle(id, error ? 'error' : isError ? 'is-error' : 'success', error?.code, () => {
      this.streams.route(this.options.filterAnswer(pending.principal, pending.method, framed), pending.sink);
      if (pending.method === 'initialize') this.onInitializeAnswered(framed.message);
    });
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
    this.initializedAt = Date.now();
    this.hooks.onInitialized?.(this);
  }

  private onChildExit(record: ExitRecord): void {
    if (this.state === 'ended') return;
    const stderr = this.child.stderr.tail();
    const quoted = stderr.slice(-this.options.stderrLinesInErrors);
    const how = record.result === 'spawn-failed' ? (record.error ?? 'spawn failed') : `it ${describeExit(record)}`;
    const detail = `${how}${quoted.length > 0 ? `; its last stderr lines: ${quoted.join(' | ')}` : ''}`;
    this.inFlightRequests.failAll(record.result === 'spawn-failed' ? 'CHILD_START_FAILED' : 'CHILD_EXITED', detail, { exit: record, stderr });
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
    // A child stopped for --memory-max ends its session for that reason (a WebSocket says 4003).
    this.markEnded(record.result === 'memory' ? 'memory' : decision.reason, `its child ${describeExit(record)}`);
    this.logger.warn({ exit: record, initialized: this.initialized }, `session ended: its child ${describeExit(record)}; ${decision.why}`);
    this.hooks.onEnded(this, record, decision.reason);
  }

  private restart(record: ExitRecord, delayMs: number): void {
    this.state = 'restarting';
    this.restarts++;
    this.options.observer.restarted();
    this.gate.close();
    this.logger.warn({ exit: record, delayMs, restarts: this.restarts }, `restarting the session's child in ${delayMs}ms`);
    restartChild(this, delayMs, (child) => this.attach(child)).then(
      () => {
        if (this.state !== 'restarting') return;
        this.state = 'running';
        this.gate.open();
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

  /** No more client traffic: the standalone stream closes and writers waiting on a restart go. */
  private markEnded(reason: SessionEndReason, detail?: string): void {
    this.state = 'ended';
    this.streams.close(reason, detail);
    this.gate.open();
  }
}
