/**
 * One logical SSE stream of a Streamable HTTP session. Its events carry ids and are kept in the
 * session's event store, so the stream outlives its connection: after a cut, the client's GET with
 * `Last-Event-ID` gets what it missed and then the rest, on a new connection.
 */
import type { ServerResponse } from 'node:http';
import type { Framed } from '../../jsonrpc/message.js';
import { sseEvent, ssePriming } from '../../http/sse.js';
import type { EventStore, StoredEvent } from '../../session/event-store.js';
import type { ConnectionEnv } from '../shared/connection-env.js';
import { SseConnection } from '../shared/sse-connection.js';

export class EventStream {
  readonly id: number;
  private readonly store: EventStore;
  private readonly env: ConnectionEnv;
  private connection: SseConnection | undefined;

  constructor(id: number, store: EventStore, env: ConnectionEnv) {
    this.id = id;
    this.store = store;
    this.env = env;
  }

  get connected(): boolean {
    return this.connection?.open === true;
  }

  /**
   * Carries the stream on `res` from now on: `replay` first, then what comes. A priming event (id,
   * empty data, retry) tells a 2025-11-25 client it can resume this stream from its very start.
   */
  attach(res: ServerResponse, options: { headers?: Record<string, string>; replay?: readonly StoredEvent[]; priming: boolean }, onCut: () => void): void {
    this.connection?.end();
    const connection = new SseConnection(res, this.env, options.headers ?? {}, () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      onCut();
    });
    this.connection = connection;
    if (options.priming) connection.write(ssePriming(this.store.mark(this.id), this.env.retryMs));
    for (const event of options.replay ?? []) connection.write(sseEvent(event.raw, event.id));
  }

  send(framed: Framed): void {
    const id = this.store.append(this.id, framed.raw, framed.bytes);
    this.connection?.write(sseEvent(framed.raw, id));
  }

  /** The stream is complete: its connection, if any, ends. */
  end(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.end();
  }
}
