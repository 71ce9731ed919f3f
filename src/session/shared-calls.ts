/**
 * What is in flight at a shared child, by the ids the child knows: each session's requests (sent
 * under ids of the shared child's own, so that two clients' id 1 never meet) and the child's own
 * requests to a session's client (sampling, elicitation, roots, ping). The one table the child's
 * messages are routed by.
 */
import { randomBytes } from 'node:crypto';
import type { JsonRpcId } from '../jsonrpc/message.js';
import type { RequestSink } from './sink.js';

const PREFIX = `mcp-sidecar-shared:${randomBytes(4).toString('hex')}:`;

/** Who a call belongs to: a port (one session) and what its client called it. */
export interface CallOwner {
  /** The session's own id for it, to forget when the call ends. */
  forgetCall(clientId: JsonRpcId): void;
}

export interface Call<P extends CallOwner = CallOwner> {
  port: P;
  clientId: JsonRpcId;
  /** Carries the child's answer and progress back under the client's id and token. */
  sink: RequestSink;
  childToken: string | undefined;
  /** A request the daemon makes on the session's behalf (a ping, a replay): never a cause of the child's requests. */
  daemon: boolean;
}

/** A request of the child's, put to one session's client under an id of that session's port. */
export interface Ask<P> {
  port: P;
  portId: string;
}

export class SharedCalls<P extends CallOwner> {
  private seq = 0;
  private readonly byId = new Map<string, Call<P>>();
  private readonly byToken = new Map<string, Call<P>>();
  private readonly asks = new Map<JsonRpcId, Ask<P>>();
  /** Calls in flight that a client made (the daemon's own are not counted). */
  private clientCalls = 0;

  /** A fresh id for a request to the child, and its progress token when the client asked for one. */
  newId(): string {
    return `${PREFIX}${++this.seq}`;
  }

  get inFlight(): number {
    return this.clientCalls;
  }

  get size(): number {
    return this.byId.size;
  }

  add(childId: string, call: Call<P>): void {
    this.byId.set(childId, call);
    if (call.childToken !== undefined) this.byToken.set(call.childToken, call);
    if (!call.daemon) this.clientCalls++;
  }

  /** Takes a call out (answered, cancelled, its session gone); `undefined` if it was not in flight. */
  settle(childId: JsonRpcId | null): Call<P> | undefined {
    if (typeof childId !== 'string') return undefined;
    const call = this.byId.get(childId);
    if (!call) return undefined;
    this.byId.delete(childId);
    if (call.childToken !== undefined) this.byToken.delete(call.childToken);
    if (!call.daemon) this.clientCalls--;
    call.port.forgetCall(call.clientId);
    return call;
  }

  progressOf(token: unknown): Call<P> | undefined {
    return typeof token === 'string' ? this.byToken.get(token) : undefined;
  }

  /** The one call a client has in flight, when exactly one is: the cause of what the child does now. */
  onlyClientCall(): Call<P> | undefined {
    if (this.clientCalls !== 1) return undefined;
    for (const call of this.byId.values()) if (!call.daemon) return call;
    return undefined;
  }

  /** The ids of `port`'s calls, by child id (for letting a session go). */
  idsOf(port: P): string[] {
    const ids: string[] = [];
    for (const [id, call] of this.byId) if (call.port === port) ids.push(id);
    return ids;
  }

  ask(childRequestId: JsonRpcId, ask: Ask<P>): void {
    this.asks.set(childRequestId, ask);
  }

  askOf(childRequestId: unknown): Ask<P> | undefined {
    return typeof childRequestId === 'string' || typeof childRequestId === 'number' ? this.asks.get(childRequestId) : undefined;
  }

  forgetAsk(childRequestId: JsonRpcId): void {
    this.asks.delete(childRequestId);
  }

  /** The child is gone: nothing of it is in flight any more. */
  clear(): void {
    for (const id of [...this.byId.keys()]) this.settle(id);
    this.asks.clear();
  }
}
