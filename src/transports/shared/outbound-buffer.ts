/**
 * Watches what waits to be written on one client connection. Over --stream-buffer, the
 * connection's session stops reading its child (backpressure.ts); still over it after
 * --slow-client-timeout, the client is not reading at all: it is disconnected and counted.
 */
import type { FlowControl } from '../../session/backpressure.js';

export interface OutboundLimits {
  highWaterBytes: number;
  slowClientTimeoutMs: number;
}

export class OutboundBuffer {
  private readonly limits: OutboundLimits;
  private readonly flow: FlowControl;
  private readonly onSlow: () => void;
  private slowTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(limits: OutboundLimits, flow: FlowControl, onSlow: () => void) {
    this.limits = limits;
    this.flow = flow;
    this.onSlow = onSlow;
  }

  get congested(): boolean {
    return this.slowTimer !== undefined;
  }

  /** Call after each write and on each drain, with the bytes still waiting. */
  update(bufferedBytes: number): void {
    if (this.closed) return;
    if (bufferedBytes > this.limits.highWaterBytes) {
      if (this.slowTimer) return;
      this.flow.congested(this);
      this.slowTimer = setTimeout(() => {
        this.slowTimer = undefined;
        this.close();
        this.onSlow();
      }, this.limits.slowClientTimeoutMs);
      this.slowTimer.unref();
    } else if (this.slowTimer && bufferedBytes === 0) {
      this.relieve();
    }
  }

  /** The connection is gone: it no longer holds the child back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.relieve();
  }

  private relieve(): void {
    if (this.slowTimer) clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
    this.flow.relieved(this);
  }
}
