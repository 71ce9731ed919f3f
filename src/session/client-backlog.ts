/**
 * The daemon-wide budget of bytes waiting for clients (--client-buffer-budget), Envoy's overload
 * manager in small. Every client connection reports what it holds unsent (outbound-buffer.ts).
 * Over the budget the daemon is overloaded: every session's child is paused, as one slow
 * connection pauses its own (backpressure.ts), and every connection with bytes waiting starts its
 * --slow-client-timeout clock, whatever its size, so the clients that do not read are cut and the
 * budget frees itself. Under half the budget, children are read again. Memory for answers in
 * flight stays bounded whatever the number of slow clients.
 */

/** A connection holding bytes for its client. */
export interface BacklogHolder {
  /** The daemon is over its budget: start the slow-client clock if bytes are waiting. */
  overloaded(): void;
}

export interface BacklogObserver {
  /** The daemon went over its budget (`true`) or back under half of it (`false`). */
  changed(overloaded: boolean, totalBytes: number): void;
}

export class ClientBacklog {
  readonly budgetBytes: number;
  /** Bytes waiting on every client connection together. */
  totalBytes = 0;
  overloaded = false;
  /** Times the daemon went over its budget. */
  overloads = 0;
  private readonly holders = new Map<BacklogHolder, number>();
  private readonly observer: BacklogObserver;

  constructor(budgetBytes: number, observer: BacklogObserver) {
    this.budgetBytes = budgetBytes;
    this.observer = observer;
  }

  /** `holder` now has `bytes` waiting (0: none, or it closed). */
  report(holder: BacklogHolder, bytes: number): void {
    const before = this.holders.get(holder) ?? 0;
    if (bytes === before) return;
    this.totalBytes += bytes - before;
    if (bytes === 0) this.holders.delete(holder);
    else this.holders.set(holder, bytes);
    if (!this.overloaded && this.totalBytes > this.budgetBytes) {
      this.overloaded = true;
      this.overloads++;
      this.observer.changed(true, this.totalBytes);
      for (const waiting of [...this.holders.keys()]) waiting.overloaded();
    } else if (this.overloaded && this.totalBytes <= this.budgetBytes / 2) {
      this.overloaded = false;
      this.observer.changed(false, this.totalBytes);
    }
  }
}

/** The token a session's `Backpressure` is congested by while the daemon is overloaded. */
export const OVERLOAD = Object.freeze({ name: 'client-buffer-budget' });
