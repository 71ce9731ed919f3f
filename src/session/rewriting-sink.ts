/**
 * The child→client half of id rewriting between clients and a child they share: one request's
 * child messages carried back to its client's sink under the client's own id and progress token.
 * The lease (2026-07-28 requests) and the shared child of `--isolation principal|shared` both send
 * each request to the child under an id of their own and wrap its sink in one of these.
 */
import type { Framed, JsonRpcId, JsonRpcNotification, JsonRpcResponse } from '../jsonrpc/message.js';
import type { RequestSink } from './sink.js';

/**
 * A child message on its way back, as the client who sent the request must see it. Its text, and
 * so its size, are the rewritten message's (a JSON answer's Content-Length is its `bytes`), made
 * when first asked.
 */
export function reframe<M extends Framed['message']>(framed: Framed, message: M): Framed<M> {
  let raw: string | undefined;
  let bytes: number | undefined;
  return {
    kind: framed.kind,
    message,
    get raw(): string {
      raw ??= JSON.stringify(message);
      return raw;
    },
    get bytes(): number {
      bytes ??= Buffer.byteLength(this.raw);
      return bytes;
    },
  };
}

/** Carries one request's child messages back to its client's sink under the client's id and token. */
export class RewritingSink implements RequestSink {
  private readonly inner: RequestSink;
  private readonly clientId: JsonRpcId;
  private readonly clientToken: JsonRpcId | undefined;

  constructor(inner: RequestSink, clientId: JsonRpcId, clientToken: JsonRpcId | undefined) {
    this.inner = inner;
    this.clientId = clientId;
    this.clientToken = clientToken;
  }

  get open(): boolean {
    return this.inner.open;
  }

  deliver(framed: Framed): void {
    if (framed.kind === 'response') {
      this.inner.deliver(reframe(framed, { ...(framed.message as JsonRpcResponse), id: this.clientId }));
      return;
    }
    const message = framed.message as JsonRpcNotification;
    if (message.method === 'notifications/progress') {
      // Progress under a token this client did not give (a held call's retry that asks for none) has nowhere to go.
      if (this.clientToken === undefined) return;
      this.inner.deliver(reframe(framed, { ...message, params: { ...message.params, progressToken: this.clientToken } }));
      return;
    }
    this.inner.deliver(framed);
  }

  abandon(): void {
    this.inner.abandon(this.clientId);
  }

  close(reason?: Parameters<RequestSink['close']>[0], detail?: string): void {
    this.inner.close(reason, detail);
  }
}
