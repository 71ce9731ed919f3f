/**
 * --ping-interval: a child silent that long with nothing in flight gets an MCP ping; one that does
 * not answer within the interval (at most 30 s) is hung.
 */
import type { InternalRequests } from './internal-requests.js';

export class Liveness {
  /** Last time the child sent anything. */
  private lastHeardAt = Date.now();
  private pinging = false;

  heard(): void {
    this.lastHeardAt = Date.now();
  }

  /** Pings `child` if it has been silent for `intervalMs`; `onHung` if the ping goes unanswered. */
  pingIfSilent(now: number, intervalMs: number, child: { write(raw: string): Promise<boolean> }, internal: InternalRequests, onHung: (error: Error) => void): void {
    if (this.pinging || now - this.lastHeardAt < intervalMs) return;
    this.pinging = true;
    const ping = internal.create('ping', undefined, Math.min(intervalMs, 30_000));
    void child.write(ping.raw);
    ping.answer.then(() => this.heard(), onHung).finally(() => { this.pinging = false; });
  }
}
