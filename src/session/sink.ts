/**
 * Where a session puts a child's message: a stream back to one client. Transports implement these;
 * the session only decides which one.
 */
import type { Framed, JsonRpcId } from '../jsonrpc/message.js';
import type { SessionEndReason } from './session.js';

export interface MessageSink {
  /** Still able to carry messages to its client. */
  readonly open: boolean;
  /** Sends one message; a sink that has closed drops it (the caller counts that). */
  deliver(framed: Framed): void;
  /**
   * Ends the stream: the session is over, for `reason`, said in a sentence by `detail` (a WebSocket
   * puts both in its close frame).
   */
  close(reason?: SessionEndReason, detail?: string): void;
}

/** The stream of one client POST: it ends once every request it carried is answered or abandoned. */
export interface RequestSink extends MessageSink {
  /** A request of this stream will never be answered (the client cancelled it). */
  abandon(id: JsonRpcId): void;
}
