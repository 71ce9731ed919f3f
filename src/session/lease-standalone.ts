/**
 * What a leased child says outside any request. A lease has no client to carry it: the child's
 * ping is answered by the daemon, any other question is answered with an error (no client can be
 * asked). Its list changes and resource updates go to the principal's listen streams
 * (listen-hub.ts); what no listen takes (logs between calls, changes nobody listens for) is
 * counted as dropped, never held.
 */
import type { Framed, JsonRpcRequest } from '../jsonrpc/message.js';
import type { ListenHub } from './listen-hub.js';
import type { Session } from './session.js';
import type { MessageSink } from './sink.js';

export class LeaseStandalone implements MessageSink {
  private readonly session: Session;
  private readonly listens: ListenHub | undefined;
  open = true;

  constructor(session: Session, listens?: ListenHub) {
    this.session = session;
    this.listens = listens;
  }

  deliver(framed: Framed): void {
    if (framed.kind !== 'request') {
      if (!this.listens?.publish(this.session, framed)) this.session.streams.countDropped(1);
      return;
    }
    const { id, method } = framed.message as JsonRpcRequest;
    if (method === 'ping') this.session.sendToChild({ jsonrpc: '2.0', id, result: {} });
    else this.session.sendToChild({ jsonrpc: '2.0', id, error: { code: -32601, message: `${method}: no client to ask outside a request (mcp-sidecar lease)` } });
  }

  close(): void {
    this.open = false;
    this.listens?.sessionEnded(this.session);
  }
}
