/**
 * Child messages that had no open stream to go to (a notification while the client has no GET
 * stream open), kept until one opens. Bounded by count and bytes; what falls off is counted and
 * reported, never lost without a word.
 */
import type { Framed } from '../jsonrpc/message.js';

export interface HeldMessagesLimits {
  maxCount: number;
  maxBytes: number;
}

export const DEFAULT_HELD_LIMITS: HeldMessagesLimits = { maxCount: 256, maxBytes: 4 * 1024 * 1024 };

export class HeldMessages {
  private readonly limits: HeldMessagesLimits;
  private queue: Framed[] = [];
  private bytes = 0;
  /** Messages evicted since the queue was created. */
  evicted = 0;

  constructor(limits: HeldMessagesLimits = DEFAULT_HELD_LIMITS) {
    this.limits = limits;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Holds `framed`; returns how many older messages were evicted to make room. */
  hold(framed: Framed): number {
    this.queue.push(framed);
    this.bytes += framed.bytes;
    let evicted = 0;
    while (this.queue.length > this.limits.maxCount || (this.bytes > this.limits.maxBytes && this.queue.length > 0)) {
      const oldest = this.queue.shift() as Framed;
      this.bytes -= oldest.bytes;
      evicted++;
    }
    this.evicted += evicted;
    return evicted;
  }

  /** Removes and returns everything held, oldest first. */
  take(): Framed[] {
    const taken = this.queue;
    this.queue = [];
    this.bytes = 0;
    return taken;
  }
}
