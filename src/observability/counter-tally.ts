/**
 * Counts for a prom-client counter kept as plain numbers where they happen, and added to the
 * counter when it is scraped (from its `collect`). prom-client hashes and checks the label values
 * on every `inc()`, even through a `labels()` child; the relay counts several things per request.
 * The exposition is the counter's own, the same as if every count had gone to it at once.
 */
import type { Counter, LabelValues } from 'prom-client';

/** One label set's count since the last scrape. Take it once, then add to `pending`. */
export interface CounterSlot<L extends string> {
  readonly labels: LabelValues<L>;
  pending: number;
}

export class CounterTally<L extends string> {
  /** One slot per label set, however many callers take it (a reloaded server's next generation too). */
  private readonly slots = new Map<string, CounterSlot<L>>();

  /** The slot of `labels`, the same one for the same values; the caller keeps it (label sets are bounded). */
  slot(labels: LabelValues<L>): CounterSlot<L> {
    const key = JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name as L]]));
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { labels, pending: 0 };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Adds what was counted since the last call to `counter`, slot by slot in the order they were taken. */
  flushInto(counter: Counter<L>): void {
    for (const slot of this.slots.values()) {
      if (slot.pending === 0) continue;
      counter.inc(slot.labels, slot.pending);
      slot.pending = 0;
    }
  }
}
