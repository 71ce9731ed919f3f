/**
 * Watches what waits to be written on one client connection. Over --stream-buffer, the
 * connection's session stops reading its child (backpressure.ts); still over it after
 * --slow-client-timeout, the client is not reading at all: it is disconnected and counted. What
 * waits is also reported to the daemon-wide budget (client-backlog.ts): while the daemon is over
 * it, any bytes waiting start the same clock.
 */
import type { FlowControl } from '../../session/backpressure.js';
import type { BacklogHolder, ClientBacklog } from '../../session/client-backlog.js';

export interface OutboundLimits {
  highWaterBytes: number;
  slowClientTimeoutMs: number;
}

export class OutboundBuffer implements BacklogHolder {
  private readonly limits: OutboundLimits;
  private readonly flow: FlowControl;
  private readonly backlog: ClientBacklog;
  private readonly onSlow: () => void;
  private slowTimer: NodeJS.Timeout | undefined;
  private waiting = 0;
  private closed = false;

  constructor(limits: OutboundLimits, flow: FlowControl, backlog: ClientBacklog, onSlow: () => void) {
    this.limits = limits;
    this.flow = flow;
    this.backlog = backlog;
    this.onSlow = onSlow;
  }

  get congested(): boolean {
    return this.slowTimer !== undefined;
  }

  /** Call after each write and on each drain, with the bytes still waiting. */
  update(bufferedBytes: number): void {
    if (this.closed) return;
    this.waiting = bufferedBytes;
    this.backlog.report(this, bufferedBytes);
    if (bufferedBytes > this.limits.highWaterBytes || (bufferedBytes > 0 && this.backlog.overloaded)) {
      this.startClock();
    } else if (this.slowTimer && bufferedBytes === 0) {
      this.relieve();
    }
  }

  overloaded(): void {
    if (!this.closed && this.waiting > 0) this.startClock();
  }

  /** The connection is gone: it no longer holds the child back nor counts against the budget. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting = 0;
    this.backlog.report(this, 0);
    this.relieve();
  }

  private startClock(): void {
    if (this.slowTimer) return;
    this.flow.congested(this);
    this.slowTimer = setTimeout(() => {
      this.slowTimer = undefined;
      this.close();
      this.onSlow();
    }, this.limits.slowClientTimeoutMs);
    this.slowTimer.unref();
  }

  private relieve(): void {
    if (this.slowTimer) clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
    this.flow.relieved(this);
  }
}
