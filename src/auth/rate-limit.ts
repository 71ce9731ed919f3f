/**
 * Rate and concurrency limits per key (a principal, or a principal and a tool). Pure: the clock
 * is passed in and nothing here sets a timer; buckets refill lazily when they are next asked.
 * Memory is bounded because keys can come from clients (a tool name in tools/call is theirs to
 * choose): the keyed map never holds more than `maxKeys` buckets.
 */
import { SidecarError } from '../errors/local.js';

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export interface TokenBucketOptions {
  /** Burst size: how many takes a full bucket allows at once. A whole number ≥ 1. */
  capacity: number;
  /** Sustained rate: tokens added per second, up to `capacity`. Above zero. */
  refillPerSecond: number;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  now?: () => number;
}

// Refill arithmetic is in floating point; a bucket this close to a whole token has it.
const EPSILON = 1e-9;

function invalid(message: string): SidecarError {
  return new SidecarError('CONFIG_INVALID', message);
}

/** Throws `CONFIG_INVALID` naming the option, the value and what was expected. */
export function checkBucketOptions(options: Pick<TokenBucketOptions, 'capacity' | 'refillPerSecond'>): void {
  if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) {
    throw invalid(`rate limit capacity ${options.capacity} is not acceptable; expected a whole number ≥ 1`);
  }
  if (!Number.isFinite(options.refillPerSecond) || options.refillPerSecond <= 0) {
    throw invalid(`rate limit refill ${options.refillPerSecond}/s is not acceptable; expected a number above zero`);
  }
}

const defaultNow = (): number => performance.now();

/** A token bucket: `capacity` takes at once, then `refillPerSecond` on average. */
export class TokenBucket {
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly now: () => number;
  private tokens: number;
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    checkBucketOptions(options);
    this.capacity = options.capacity;
    this.refillPerMs = options.refillPerSecond / 1000;
    this.now = options.now ?? defaultNow;
    this.tokens = options.capacity;
    this.updatedAt = this.now();
  }

  private refill(): void {
    const now = this.now();
    // A clock that goes backwards adds nothing (and does not move the mark back).
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerMs);
    this.updatedAt = Math.max(now, this.updatedAt);
  }

  /** Takes one token, or says how long until one is there. */
  tryTake(): TakeResult {
    this.refill();
    if (this.tokens >= 1 - EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1);
      return { ok: true };
    }
    // The same tolerance as the take above: waiting exactly this long is always enough.
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerMs - 1e-6)) };
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** A full bucket is indistinguishable from a new one, so dropping it loses nothing. */
  isIdle(): boolean {
    return this.available() >= this.capacity - EPSILON;
  }
}

export interface KeyedBucketsOptions extends TokenBucketOptions {
  /** The most buckets kept at once; a whole number ≥ 1. */
  maxKeys: number;
}

/**
 * One token bucket per key, at most `maxKeys` of them. A new key over the bound evicts the least
 * recently used idle bucket; when none is idle it evicts the least recently used one anyway. That
 * errs on the side of letting a request through (the evicted key starts again full) rather than
 * refusing keys, so a client inventing keys cannot lock others out, only loosen their limit.
 */
export class KeyedBuckets {
  private readonly options: TokenBucketOptions;
  private readonly maxKeys: number;
  // Map iteration order is insertion order; touching a key re-inserts it, so the first is the LRU.
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(options: KeyedBucketsOptions) {
    checkBucketOptions(options);
    if (!Number.isSafeInteger(options.maxKeys) || options.maxKeys < 1) {
      throw invalid(`rate limit key bound ${options.maxKeys} is not acceptable; expected a whole number ≥ 1`);
    }
    this.options = { capacity: options.capacity, refillPerSecond: options.refillPerSecond, now: options.now ?? defaultNow };
    this.maxKeys = options.maxKeys;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket (made full on first use). */
  tryTake(key: string): TakeResult {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
    } else {
      if (this.buckets.size >= this.maxKeys) this.evictOne();
      bucket = new TokenBucket(this.options);
    }
    this.buckets.set(key, bucket);
    return bucket.tryTake();
  }

  private evictOne(): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.isIdle()) {
        this.buckets.delete(key);
        return;
      }
    }
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }

  /** Drops every idle bucket (for the periodic sweep); returns how many went. */
  prune(): number {
    let dropped = 0;
    for (const [key, bucket] of this.buckets) {
      if (bucket.isIdle()) {
        this.buckets.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }
}

/**
 * At most `maxPerKey` holders per key at once (requests in flight per principal, say). Only keys
 * with a holder are kept, so memory follows what is running, not every key ever seen.
 */
export class ConcurrencyLimit {
  private readonly maxPerKey: number;
  private readonly held = new Map<string, number>();

  constructor(maxPerKey: number) {
    if (!Number.isSafeInteger(maxPerKey) || maxPerKey < 1) {
      throw invalid(`concurrency limit ${maxPerKey} is not acceptable; expected a whole number ≥ 1`);
    }
    this.maxPerKey = maxPerKey;
  }

  /** Holders of `key` now. */
  count(key: string): number {
    return this.held.get(key) ?? 0;
  }

  /** Keys with at least one holder. */
  get size(): number {
    return this.held.size;
  }

  /**
   * A slot for `key` and the function that gives it back, or `undefined` when `key` is at its
   * limit. Calling the release function more than once releases once: a request that is both
   * answered and cancelled must not free two slots.
   */
  acquire(key: string): (() => void) | undefined {
    const count = this.count(key);
    if (count >= this.maxPerKey) return undefined;
    this.held.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(key) - 1;
      if (left <= 0) this.held.delete(key);
      else this.held.set(key, left);
    };
  }
}

/**
 * A map key for several parts (a principal key and a tool name, say) that no two different part
 * lists share: JWT subjects and tool names may contain any separator we could pick.
 */
export function bucketKey(...parts: readonly string[]): string {
  return JSON.stringify(parts);
}
