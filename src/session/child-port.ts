/**
 * One session's link to a child it shares (`--isolation principal|shared`). To the session it is
 * a child like any other (`ChildLink`); underneath, the client→child half of id rewriting: each
 * request goes to the child under an id of the shared child's own (its answer and progress come
 * back through a `RewritingSink` under the client's id and token), a cancellation is rewritten to
 * that id, an answer to the child's own request is rewritten back to the child's id. The client's
 * initialize is answered by the daemon from the child's (initialized once), and its
 * `notifications/initialized` is not sent again. Letting go of the port (`stop`) releases the
 * session's share of the child; the child goes when its last session has gone and stayed gone.
 */
import type { Framed, JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/message.js';
import { progressTokenOf } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import type { ChildHandlers, ChildProcess } from '../supervisor/child-process.js';
import type { ExitRecord, StopReason } from '../supervisor/exit-record.js';
import type { ChildLink } from './child-link.js';
import { isDaemonRequestId } from './internal-requests.js';
import { reframe, RewritingSink } from './rewriting-sink.js';
import type { Call } from './shared-calls.js';
import type { RequestSink } from './sink.js';

/** What a port asks of the shared child it belongs to (shared-child.ts). */
export interface PortOwner {
  /** Writes a line to the child once it is initialized; false when this port's child is gone. */
  send(port: ChildPort, raw: string): Promise<boolean>;
  /** Sends a session's request to the child under the id given, and keeps its call. */
  register(childId: string, call: Call<ChildPort>): void;
  newId(): string;
  /** Takes a call out: the session cancelled it. */
  settle(childId: string): void;
  /** Answers the session's initialize from the child's, once the child is initialized. */
  answerInitialize(port: ChildPort, id: JsonRpcId, requestedVersion: unknown): void;
  /** The level the child is set to for all its sessions (the most verbose asked for). */
  logLevel(): string | undefined;
  /** Whether a session other than `port` is subscribed to `uri`. */
  subscribedElsewhere(port: ChildPort, uri: string): boolean;
  /** The child's own request `childRequestId` was answered by this port's client. */
  forgetAsk(childRequestId: JsonRpcId): void;
  release(port: ChildPort, reason: StopReason): void;
  pause(port: ChildPort): void;
  resume(port: ChildPort): void;
}

const NO_HANDLERS: ChildHandlers = { onMessage: () => undefined, onExit: () => undefined };

/** A framed message the daemon makes. */
export function frameOf<M extends Framed['message']>(kind: Framed['kind'], message: M): Framed<M> {
  const raw = JSON.stringify(message);
  return { kind, message, raw, bytes: Buffer.byteLength(raw) };
}

/** Where a call's RewritingSink delivers: the port's session, as if its own child had sent it. */
class PortInbox implements RequestSink {
  private readonly port: ChildPort;

  constructor(port: ChildPort) {
    this.port = port;
  }

  get open(): boolean {
    return this.port.isLinked;
  }

  deliver(framed: Framed): void {
    this.port.receive(framed);
  }

  abandon(): void {
    // The session settles its own requests; the port has nothing to end.
  }

  close(): void {
    // As above: the session's streams are the session's.
  }
}

export class ChildPort implements ChildLink {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly startedAt: number;
  readonly attachedAt = Date.now();
  readonly exited: Promise<ExitRecord>;
  readonly prepared = undefined;
  readonly stderr: { tail(): string[]; context: () => object | undefined };
  handlers: ChildHandlers = NO_HANDLERS;
  logger: Logger;
  /** What the session's client declared in its initialize (a server→client request needs its capability). */
  capabilities: Record<string, unknown> | undefined;
  /** The level the session asked for with logging/setLevel. */
  logLevel: string | undefined;
  readonly subscriptions = new Set<string>();
  /** The session's requests in flight at the child: its id → the child's. */
  readonly calls = new Map<JsonRpcId, string>();
  /** The child's requests waiting for this session's client: the id the client was given → the child's. */
  readonly asks = new Map<string, JsonRpcId>();
  /** Where the RewritingSink of each call delivers: to the session, as the child's own message. */
  readonly inbox: RequestSink;
  private readonly owner: PortOwner;
  private linked = true;
  private askSeq = 0;
  private settleExit: (record: ExitRecord) => void = () => undefined;

  /**
   * `quotesStderr`: whether the child's stderr may be shown to this session (in its errors and
   * /status); not when the child serves other principals too, whose calls the lines may be about.
   */
  constructor(owner: PortOwner, child: ChildProcess, logger: Logger, quotesStderr: boolean) {
    this.owner = owner;
    this.child = child;
    this.pid = child.pid;
    this.startedAt = child.startedAt;
    this.logger = logger;
    this.exited = new Promise((resolve) => { this.settleExit = resolve; });
    this.stderr = { tail: quotesStderr ? () => child.stderr.tail() : () => [], context: () => undefined };
    this.inbox = new PortInbox(this);
  }

  get alive(): boolean {
    return this.linked && this.child.alive;
  }

  /** Still the session's link to the child (not released, the child not gone). */
  get isLinked(): boolean {
    return this.linked;
  }

  get rssBytes(): number {
    return this.child.rssBytes;
  }

  bindLogger(logger: Logger): void {
    this.logger = logger;
  }

  pauseOutput(): void {
    this.owner.pause(this);
  }

  resumeOutput(): void {
    this.owner.resume(this);
  }

  /** Lets go of the session's share of the child; the child itself stays for its other sessions. */
  stop(reason: StopReason): Promise<ExitRecord> {
    if (this.linked) this.owner.release(this, reason);
    return this.exited;
  }

  /** The session's line to the child: the session writes only JSON-RPC it framed or made itself. */
  write(raw: string): Promise<boolean> {
    if (!this.linked) return Promise.resolve(false);
    const message = JSON.parse(raw) as Record<string, unknown>;
    if (typeof message.method !== 'string') return this.answerAsk(message as unknown as JsonRpcResponse);
    if ('id' in message) return this.request(message as unknown as JsonRpcRequest);
    return this.notification(message as unknown as JsonRpcNotification, raw);
  }

  /** A child message for this session (already under the session's ids). */
  receive(framed: Framed): void {
    if (this.linked) this.handlers.onMessage(framed);
  }

  /** Puts a request of the child's to this session's client under an id of the port's own. */
  ask(framed: Framed<JsonRpcRequest>): string {
    const portId = `mcp-sidecar-ask:${++this.askSeq}`;
    this.asks.set(portId, framed.message.id);
    this.receive(reframe(framed, { ...framed.message, id: portId }));
    return portId;
  }

  /** A call ended (answered, cancelled, the child gone): its client id is free again. */
  forgetCall(clientId: JsonRpcId): void {
    this.calls.delete(clientId);
  }

  /** The child exited while the session held it: the session hears it as its own child's exit. */
  childExited(record: ExitRecord): void {
    if (!this.linked) return;
    this.linked = false;
    this.handlers.onExit(record);
    this.settleExit(record);
  }

  /** Released (shared-child.ts): the session is done with it. */
  released(record: ExitRecord): void {
    this.linked = false;
    this.settleExit(record);
  }

  private request(request: JsonRpcRequest): Promise<boolean> {
    const uri = request.params?.uri;
    switch (request.method) {
      case 'initialize': {
        const capabilities = request.params?.capabilities;
        this.capabilities = typeof capabilities === 'object' && capabilities !== null ? capabilities as Record<string, unknown> : undefined;
        this.owner.answerInitialize(this, request.id, request.params?.protocolVersion);
        return Promise.resolve(true);
      }
      case 'logging/setLevel': {
        const level = request.params?.level;
        this.logLevel = typeof level === 'string' ? level : undefined;
        // The child is set to the most verbose level any of its sessions asked for; each sees its own.
        return this.call({ ...request, params: { ...request.params, level: this.owner.logLevel() ?? level } });
      }
      case 'resources/subscribe':
        if (typeof uri === 'string') this.subscriptions.add(uri);
        return this.call(request);
      case 'resources/unsubscribe':
        if (typeof uri !== 'string') return this.call(request);
        this.subscriptions.delete(uri);
        // Another session still wants its updates: the child stays subscribed.
        if (this.owner.subscribedElsewhere(this, uri)) {
          this.receive(frameOf('response', { jsonrpc: '2.0', id: request.id, result: {} }));
          return Promise.resolve(true);
        }
        return this.call(request);
      default:
        return this.call(request);
    }
  }

  /** The request under an id (and progress token) of the shared child's own. */
  private call(request: JsonRpcRequest): Promise<boolean> {
    const childId = this.owner.newId();
    const clientToken = progressTokenOf(request);
    const childToken = clientToken === undefined ? undefined : `${childId}:progress`;
    const params = childToken === undefined
      ? request.params
      : { ...request.params, _meta: { ...(request.params?._meta as Record<string, unknown> | undefined), progressToken: childToken } };
    const message = params === undefined ? { jsonrpc: '2.0', id: childId, method: request.method } : { jsonrpc: '2.0', id: childId, method: request.method, params };
    this.calls.set(request.id, childId);
    this.owner.register(childId, {
      port: this,
      clientId: request.id,
      sink: new RewritingSink(this.inbox, request.id, clientToken),
      childToken,
      daemon: isDaemonRequestId(request.id),
    });
    return this.owner.send(this, JSON.stringify(message));
  }

  private notification(notification: JsonRpcNotification, raw: string): Promise<boolean> {
    // The daemon initialized the child once, and told it so.
    if (notification.method === 'notifications/initialized') return Promise.resolve(true);
    if (notification.method !== 'notifications/cancelled') return this.owner.send(this, raw);
    const requestId = notification.params?.requestId;
    const childId = typeof requestId === 'string' || typeof requestId === 'number' ? this.calls.get(requestId) : undefined;
    if (childId === undefined) return Promise.resolve(true); // nothing of this session's is in flight under that id
    this.owner.settle(childId);
    return this.owner.send(this, JSON.stringify({ ...notification, params: { ...notification.params, requestId: childId } }));
  }

  /** The client's answer to a request of the child's, rewritten back to the child's id. */
  private answerAsk(response: JsonRpcResponse): Promise<boolean> {
    const childRequestId = typeof response.id === 'string' ? this.asks.get(response.id) : undefined;
    if (childRequestId === undefined) {
      this.logger.debug({ id: response.id }, 'answer to no request the shared child put to this session; dropped');
      return Promise.resolve(true);
    }
    this.asks.delete(response.id as string);
    this.owner.forgetAsk(childRequestId);
    return this.owner.send(this, JSON.stringify({ ...response, id: childRequestId }));
  }
}
