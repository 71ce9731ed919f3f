/**
 * The one SSE stream of a legacy (2024-11-05) session: every message from the child goes here,
 * answers and notifications alike, as plain `message` events (that transport has no event ids).
 */
import type { ServerResponse } from 'node:http';
import type { Framed, JsonRpcId } from '../../jsonrpc/message.js';
import { sseEvent, sseNamedEvent } from '../../http/sse.js';
import type { RequestSink } from '../../session/sink.js';
import type { ConnectionEnv } from '../shared/connection-env.js';
import { SseConnection } from '../shared/sse-connection.js';

export class LegacySseSink implements RequestSink {
  private readonly connection: SseConnection;

  constructor(res: ServerResponse, env: ConnectionEnv, onClose: () => void) {
    this.connection = new SseConnection(res, env, {}, onClose);
  }

  get open(): boolean {
    return this.connection.open;
  }

  /** The first event: where the client posts its messages. */
  sendEndpoint(url: string): void {
    this.connection.write(sseNamedEvent('endpoint', url));
  }

  deliver(framed: Framed): void {
    this.connection.write(sseEvent(framed.raw));
  }

  /** Nothing to do: the stream is the session's and stays open for its other requests. */
  abandon(_id: JsonRpcId): void {}

  close(): void {
    this.connection.end();
  }
}
