/**
 * One GET's connection to the session's standalone SSE stream: carries what the child sends outside
 * any request (list_changed, resource updates, and requests or logs when several calls are in
 * flight). Every GET continues the same logical stream, so a client that resumes with the last id
 * it saw gets what it missed first.
 */
import type { ServerResponse } from 'node:http';
import type { Framed } from '../../jsonrpc/message.js';
import type { StoredEvent } from '../../session/event-store.js';
import type { MessageSink } from '../../session/sink.js';
import type { EventStream } from './event-stream.js';
import type { SessionStreams } from './session-streams.js';

export class StandaloneStream implements MessageSink {
  private readonly stream: EventStream;
  private ended = false;

  constructor(res: ServerResponse, streams: SessionStreams, replay: readonly StoredEvent[] | undefined, onClose: (stream: StandaloneStream) => void) {
    this.stream = streams.standalone;
    this.stream.attach(res, { replay, priming: replay === undefined && streams.priming }, () => {
      this.ended = true;
      onClose(this);
    });
  }

  get open(): boolean {
    return !this.ended && this.stream.connected;
  }

  deliver(framed: Framed): void {
    if (this.open) this.stream.send(framed);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.end();
  }
}
