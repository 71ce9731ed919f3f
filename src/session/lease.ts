/**
 * A lease: a child initialized on a 2026-07-28 client's behalf, borrowed by that principal's
 * requests. It is the one seam that owns id rewriting between clients and a shared child: each
 * request goes to the child under an id (and progress token) of the lease's own, so that requests
 * of many HTTP clients, which may all use id 1, share one child; every answer and progress
 * notification goes back to its request's sink under the client's own id and token.
 *
 * The child is an ordinary session's (restart policy, watchdog, stderr, audit, /status, idle
 * reaping all apply); the lease adds what a session has no use for: what the child said about
 * itself in its initialize result, and the tools it declared (for `Mcp-Param-*` checks).
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import type { Framed, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/message.js';
import { progressTokenOf } from '../jsonrpc/message.js';
import { META, MODERN_VERSIONS } from '../protocol/versions.js';
import type { RequestContext } from '../observability/request-context.js';
import { RewritingSink } from './rewriting-sink.js';
import type { Session, SubmitOutcome } from './session.js';
import type { RequestSink } from './sink.js';

const PREFIX = `mcp-sidecar-lease:${randomBytes(4).toString('hex')}:`;

/** What a child said about itself when the lease initialized it. */
export interface ServerView {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: Record<string, unknown> | undefined;
  instructions: string | undefined;
  /** The server speaks 2026-07-28 itself: this is its own discover result, and nothing is translated. */
  modern?: Record<string, unknown>;
}

/** The request's params as the child sees them: the 2026 envelope left out, the progress token the lease's. */
function childParams(params: Record<string, unknown> | undefined, childToken: string | undefined, keepEnvelope: boolean): Record<string, unknown> | undefined {
  const meta = params?._meta as Record<string, unknown> | undefined;
  if (!meta && childToken === undefined) return params;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if ((keepEnvelope || !key.startsWith('io.modelcontextprotocol/')) && key !== 'progressToken') kept[key] = value;
  }
  if (childToken !== undefined) kept.progressToken = childToken;
  const copy: Record<string, unknown> = { ...params };
  if (Object.keys(kept).length > 0) copy._meta = kept;
  else delete copy._meta;
  return copy;
}

export class Lease {
  readonly key: string;
  readonly session: Session;
  readonly server: ServerView;
  /**
   * Each tool's inputSchema, once a child has listed its tools: shared by the leases of one
   * capability set (their children are the same server, initialized alike).
   */
  readonly catalog: { tools?: Map<string, unknown> };
  private seq = 0;
  /** Held by one call alone (a call that may ask its client for input): no other request is given it. */
  private reservedFlag = false;

  constructor(key: string, session: Session, server: ServerView, catalog: { tools?: Map<string, unknown> } = {}) {
    this.key = key;
    this.session = session;
    this.server = server;
    this.catalog = catalog;
  }

  get usable(): boolean {
    return this.session.live;
  }

  get reserved(): boolean {
    return this.reservedFlag;
  }

  /** Takes the lease for one call alone; false when it is taken or busy. */
  reserve(): boolean {
    if (this.reservedFlag || this.session.inFlight > 0 || !this.usable) return false;
    this.reservedFlag = true;
    return true;
  }

  /** The call that held the lease alone has ended: other requests may have it again. */
  release(): void {
    this.reservedFlag = false;
  }

  /**
   * Sends a modern client's request to the child under the lease's own id; returns that id (to
   * cancel it when the client goes) with the session's verdict.
   */
  async submit(request: JsonRpcRequest, sink: RequestSink, principal: Principal, context?: RequestContext): Promise<{ childId: string; outcome: SubmitOutcome }> {
    return this.submitTo(request, new RewritingSink(sink, request.id, progressTokenOf(request)), principal, context);
  }

  /**
   * Sends a request whose messages `sink` takes under the lease's own id and token, rewriting them
   * itself: a held call (session/input/held-call.ts) answers on a different client request each round.
   */
  async submitTo(request: JsonRpcRequest, sink: RequestSink, principal: Principal, context?: RequestContext): Promise<{ childId: string; outcome: SubmitOutcome }> {
    const childId = `${PREFIX}${++this.seq}`;
    const childToken = progressTokenOf(request) === undefined ? undefined : `${childId}:progress`;
    const params = childParams(request.params, childToken, this.server.modern !== undefined);
    const message: JsonRpcRequest = params === undefined ? { jsonrpc: '2.0', id: childId, method: request.method } : { jsonrpc: '2.0', id: childId, method: request.method, params };
    const raw = JSON.stringify(message);
    const framed: Framed<JsonRpcRequest> = { kind: 'request', message, raw, bytes: Buffer.byteLength(raw) };
    const outcome = await this.session.submitRequest(framed, sink, principal, context);
    return { childId, outcome };
  }

  /** The child's tools, asked by the daemon itself (a modern server needs the request envelope too). */
  listTools(timeoutMs: number): Promise<JsonRpcResponse> {
    const envelope = { [META.protocolVersion]: MODERN_VERSIONS[0], [META.clientCapabilities]: {}, [META.clientInfo]: { name: 'mcp-sidecar', version: '0.1.0' } };
    return this.session.ask('tools/list', this.server.modern ? { _meta: envelope } : undefined, timeoutMs);
  }

  /** The client of request `childId` went away: the child is told to stop. */
  cancel(childId: string, reason: string): void {
    this.session.cancelRequest(childId, reason);
  }
}

/** A sink that keeps the one answer the daemon itself waits for (the initialize it sends). */
export class AwaitedAnswer implements RequestSink {
  readonly answer: Promise<JsonRpcResponse>;
  open = true;
  private settle: (response: JsonRpcResponse | Error) => void = () => undefined;

  constructor() {
    this.answer = new Promise<JsonRpcResponse>((resolve, reject) => {
      this.settle = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
    });
    this.answer.catch(() => undefined);
  }

  deliver(framed: Framed): void {
    if (framed.kind !== 'response') return; // the child's logging while it starts: nobody to show it to
    this.open = false;
    this.settle(framed.message as JsonRpcResponse);
  }

  abandon(): void {
    this.close();
  }

  close(reason?: string, detail?: string): void {
    if (!this.open) return;
    this.open = false;
    this.settle(new Error(detail ?? `session ended${reason ? ` (${reason})` : ''}`));
  }
}
