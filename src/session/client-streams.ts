/**
 * The session's side toward its client: the standalone stream, the messages held while none is
 * open, and the delivery of each child message to the stream chosen for it. What cannot be
 * delivered is counted and logged, never dropped without a word.
 */
import type { Framed, JsonRpcResponse } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import { HeldMessages, type HeldMessagesLimits } from './held-messages.js';
import type { SessionEndReason } from './session.js';
import type { MessageSink } from './sink.js';

export interface DeliveryObserver {
  bytesOut(bytes: number): void;
  dropped(count: number): void;
}

export class ClientStreams {
  standalone: MessageSink | undefined;
  /** Child messages dropped because their stream's client had left, or evicted while held. */
  dropped = 0;
  private readonly held: HeldMessages;
  private readonly observer: DeliveryObserver;
  private readonly logger: Logger;

  constructor(limits: HeldMessagesLimits, observer: DeliveryObserver, logger: Logger) {
    this.held = new HeldMessages(limits);
    this.observer = observer;
    this.logger = logger;
  }

  get hasOpenStream(): boolean {
    return this.standalone?.open === true;
  }

  /** Attaches the standalone stream and flushes what was held; false when one is already open. */
  openStandalone(sink: MessageSink): boolean {
    if (this.standalone?.open) return false;
    this.standalone = sink;
    for (const framed of this.held.take()) this.deliver(framed, sink);
    return true;
  }

  /** True when `sink` was the standalone stream. */
  standaloneClosed(sink: MessageSink): boolean {
    if (this.standalone !== sink) return false;
    this.standalone = undefined;
    return true;
  }

  close(reason: SessionEndReason, detail?: string): void {
    this.standalone?.close(reason, detail);
  }

  /** Delivers to `sink` if it is open; otherwise holds it (a response is dropped: its client left). */
  route(framed: Framed, sink: MessageSink | undefined): void {
    if (sink?.open) {
      this.deliver(framed, sink);
      return;
    }
    if (framed.kind === 'response') {
      // Its client went away; the spec lets the answer go, but we say so.
      this.countDropped(1);
      this.logger.debug({ id: (framed.message as JsonRpcResponse).id }, 'answer for a closed stream dropped');
      return;
    }
    const evicted = this.held.hold(framed);
    if (evicted > 0) {
      this.countDropped(evicted);
      this.logger.warn({ evicted, held: this.held.size, evictedTotal: this.held.evicted }, 'no open stream for child messages; oldest held messages dropped');
    }
  }

  countDropped(count: number): void {
    this.dropped += count;
    this.observer.dropped(count);
  }

  private deliver(framed: Framed, sink: MessageSink): void {
    this.observer.bytesOut(framed.bytes);
    sink.deliver(framed);
  }
}
