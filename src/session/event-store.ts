/**
 * The events a session has sent on its SSE streams, kept so that a client whose connection was cut
 * can resume with `Last-Event-ID` and get what it missed. Bounded by count and bytes; the oldest go
 * first, and every eviction is counted.
 *
 * An event id is `<stream>-<n>`: the stream it belongs to, and a counter over the whole session.
 * Replay returns only events of the named stream (the spec forbids crossing streams), and since the
 * counter is session-wide, eviction past `n` tells a replay that it may have lost something.
 */

export interface EventStoreLimits {
  maxEvents: number;
  maxBytes: number;
}

export interface StoredEvent {
  id: string;
  raw: string;
}

interface Entry {
  stream: number;
  n: number;
  raw: string;
  bytes: number;
}

export interface Replay {
  stream: number;
  events: StoredEvent[];
  /** Events after the resumption point were evicted: some of them may have been this stream's. */
  incomplete: boolean;
}

/** Parses `<stream>-<n>`; `undefined` when the id is not one of ours. */
export function parseEventId(id: string): { stream: number; n: number } | undefined {
  const match = /^(\d{1,9})-(\d{1,15})$/.exec(id);
  if (!match) return undefined;
  return { stream: Number(match[1]), n: Number(match[2]) };
}

export class EventStore {
  /** Evicted over the session's life. */
  evicted = 0;
  private readonly limits: EventStoreLimits;
  private readonly onEvict: (count: number) => void;
  private entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private counter = 0;
  /** The highest counter value evicted so far (0: none). */
  private evictedThrough = 0;

  constructor(limits: EventStoreLimits, onEvict: (count: number) => void) {
    this.limits = limits;
    this.onEvict = onEvict;
  }

  /** Whether anything is kept at all (`--event-store-max-events 0` turns resumption off). */
  get enabled(): boolean {
    return this.limits.maxEvents > 0 && this.limits.maxBytes > 0;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** A fresh id on `stream` that is not kept (the priming event). */
  mark(stream: number): string {
    return `${stream}-${++this.counter}`;
  }

  /** Keeps `raw` as the next event of `stream`; returns its id (none when nothing is kept). */
  append(stream: number, raw: string, bytes: number): string | undefined {
    if (!this.enabled) return undefined;
    const n = ++this.counter;
    this.entries.push({ stream, n, raw, bytes });
    this.bytes += bytes;
    this.evictOverLimits();
    return `${stream}-${n}`;
  }

  /** The kept events of `stream` after `n`. */
  after(stream: number, n: number): Replay {
    const events: StoredEvent[] = [];
    for (let index = this.head; index < this.entries.length; index++) {
      const entry = this.entries[index] as Entry;
      if (entry.stream === stream && entry.n > n) events.push({ id: `${entry.stream}-${entry.n}`, raw: entry.raw });
    }
    return { stream, events, incomplete: this.evictedThrough > n };
  }

  /** Whether `n` could have been handed out by this store. */
  issued(n: number): boolean {
    return this.enabled && n <= this.counter;
  }

  private evictOverLimits(): void {
    let evicted = 0;
    while (this.size > 0 && (this.size > this.limits.maxEvents || this.bytes > this.limits.maxBytes)) {
      const entry = this.entries[this.head++] as Entry;
      this.bytes -= entry.bytes;
      this.evictedThrough = entry.n;
      evicted++;
    }
    // Compact once the dead prefix dominates, so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (evicted > 0) {
      this.evicted += evicted;
      this.onEvict(evicted);
    }
  }
}
