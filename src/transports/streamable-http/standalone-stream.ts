/**
 * The client's standalone SSE stream (GET): carries what the child sends outside any request
 * (list_changed, resource updates, and requests or logs when several calls are in flight).
 */
import type { ServerResponse } from 'node:http';
import type { Framed } from '../../jsonrpc/message.js';
import { SSE_HEADERS, sseEvent } from '../../http/sse.js';
import type { MessageSink } from '../../session/sink.js';

export class StandaloneStream implements MessageSink {
  private readonly res: ServerResponse;
  private ended = false;

  constructor(res: ServerResponse, onClose: (stream: StandaloneStream) => void) {
    this.res = res;
    res.writeHead(200, SSE_HEADERS);
    // Headers go out now, so the client knows the stream is open before the first event.
    res.flushHeaders();
    res.once('close', () => {
      this.ended = true;
      onClose(this);
    });
  }

  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  deliver(framed: Framed): void {
    if (this.open) this.res.write(sseEvent(framed.raw));
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.end();
  }
}
