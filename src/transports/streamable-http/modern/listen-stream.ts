/**
 * The SSE answer to one 2026-07-28 `subscriptions/listen`: opened at once (headers and keepalive
 * comments, --sse-keepalive), then its acknowledgment, which is always its first message, then
 * the change notifications it opted in to, each tagged with the listen's id, until the client
 * closes it (it is then let go: listen.ts), the daemon shuts down (the listen's complete response,
 * then the end), or the child it holds is gone (cut, so the client listens again).
 *
 * It never queues: a notification arriving before the acknowledgment, or while bytes still wait
 * on the socket (a write went over its high-water mark), is kept in a set with at most one per
 * kind of change and subscribed URI, the latest, and written once the client reads. A change
 * notification says only that something changed, so merging repeats loses nothing. A client that
 * does not read for --slow-client-timeout is disconnected and counted like any slow client.
 */
import type { ServerResponse } from 'node:http';
import type { Principal } from '../../../auth/principal.js';
import { sseEvent } from '../../../http/sse.js';
import type { JsonRpcId, JsonRpcNotification } from '../../../jsonrpc/message.js';
import { acknowledgement, listenEnded, optedIn, tagged, type SubscriptionFilter } from '../../../protocol/subscriptions.js';
import type { Listener } from '../../../session/listen-hub.js';
import type { Session } from '../../../session/session.js';
import type { ConnectionEnv } from '../../shared/connection-env.js';
import { SseConnection } from '../../shared/sse-connection.js';

export interface ListenStreamHooks {
  /** A change notification was written to the client. */
  delivered(method: string): void;
  /**
   * The stream is over; called once, with how: `client` (it closed, or its connection dropped),
   * `graceful` (the daemon ended it with the complete response) or `cut` (ended without one).
   */
  ended(how: 'client' | 'graceful' | 'cut'): void;
}

/** The key under which repeats of a notification merge while the client is behind. */
function mergeKey(message: JsonRpcNotification): string {
  const uri = message.params?.uri;
  return message.method === 'notifications/resources/updated' && typeof uri === 'string' ? `${message.method} ${uri}` : message.method;
}

export class ListenStream implements Listener {
  readonly principal: Principal;
  readonly session: Session;
  /** The listen request's id: every message of the stream carries it. */
  readonly id: JsonRpcId;
  private readonly res: ServerResponse;
  private readonly env: ConnectionEnv;
  private readonly serverInfo: Record<string, unknown> | undefined;
  private readonly hooks: ListenStreamHooks;
  private readonly connection: SseConnection;
  /** What the stream may carry: while opening, what it may be granted; once acknowledged, what it was. */
  private filter: SubscriptionFilter;
  private state: 'opening' | 'open' | 'ended' = 'opening';
  private readonly waiting = new Map<string, JsonRpcNotification>();
  private behind = false;
  private slowTimer: NodeJS.Timeout | undefined;

  /** Writes the SSE headers now; `candidates` bounds what notifications are kept until the acknowledgment. */
  constructor(res: ServerResponse, env: ConnectionEnv, listen: { id: JsonRpcId; principal: Principal; session: Session; serverInfo: Record<string, unknown> | undefined }, candidates: SubscriptionFilter, hooks: ListenStreamHooks) {
    this.res = res;
    this.env = env;
    this.id = listen.id;
    this.principal = listen.principal;
    this.session = listen.session;
    this.serverInfo = listen.serverInfo;
    this.filter = candidates;
    this.hooks = hooks;
    this.connection = new SseConnection(res, env, {}, () => this.finish('client'));
    res.on('drain', () => this.caughtUp());
  }

  get open(): boolean {
    return this.state !== 'ended';
  }

  /** What the stream carries (after the acknowledgment: what it was granted). */
  get honored(): SubscriptionFilter {
    return this.filter;
  }

  wants(message: JsonRpcNotification, from: Session): boolean {
    if (this.state === 'ended') return false;
    // A resource update is for the listens subscribed on the child that sent it.
    if (message.method === 'notifications/resources/updated' && from !== this.session) return false;
    return optedIn(this.filter, message);
  }

  deliver(message: JsonRpcNotification): void {
    if (this.state === 'ended') return;
    if (this.state === 'opening' || this.behind) {
      const key = mergeKey(message);
      this.waiting.delete(key); // the latest goes last, in arrival order
      this.waiting.set(key, message);
      return;
    }
    this.write(message);
  }

  /** The first message: what the daemon agreed to honor; what arrived meanwhile follows, if granted. */
  acknowledge(honored: SubscriptionFilter): void {
    if (this.state !== 'opening') return;
    this.filter = honored;
    this.state = 'open';
    this.send(acknowledgement(this.id, honored));
    this.flush();
  }

  end(graceful: boolean): void {
    if (this.state === 'ended') return;
    if (graceful) this.send(listenEnded(this.id, this.serverInfo));
    this.finish(graceful ? 'graceful' : 'cut');
    this.connection.end();
  }

  private write(message: JsonRpcNotification): void {
    this.send(tagged(this.id, message));
    this.hooks.delivered(message.method);
  }

  private send(message: object): void {
    if (this.connection.write(sseEvent(JSON.stringify(message)))) return;
    if (this.state === 'ended' || this.behind) return;
    this.behind = true;
    this.slowTimer = setTimeout(() => {
      this.env.slowClient();
      this.res.destroy();
    }, this.env.limits.slowClientTimeoutMs);
    this.slowTimer.unref();
  }

  /** The socket drained: what merged meanwhile goes out. */
  private caughtUp(): void {
    if (!this.behind) return;
    this.behind = false;
    clearTimeout(this.slowTimer);
    if (this.state === 'open') this.flush();
  }

  private flush(): void {
    for (const [key, message] of this.waiting) {
      if (this.behind || this.state !== 'open') return;
      this.waiting.delete(key);
      if (optedIn(this.filter, message)) this.write(message);
    }
  }

  private finish(how: 'client' | 'graceful' | 'cut'): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    clearTimeout(this.slowTimer);
    this.waiting.clear();
    this.hooks.ended(how);
  }
}
