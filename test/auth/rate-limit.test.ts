/**
 * Limits are pure policy over an injected clock: each table row is a clock step and the answer
 * the bucket must give, so refill arithmetic, Retry-After and eviction are checked exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketKey, ConcurrencyLimit, KeyedBuckets, TokenBucket, type TakeResult } from '../../src/auth/rate-limit.js';
import { SidecarError } from '../../src/errors/local.js';

function fakeClock(start = 0): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; }, set: (ms) => { t = ms; } };
}

const OK: TakeResult = { ok: true };
const wait = (retryAfterMs: number): TakeResult => ({ ok: false, retryAfterMs });

/** [ms to advance before the take, expected answer] */
type Step = [number, TakeResult];

describe('TokenBucket', () => {
  const CASES: [string, { capacity: number; refillPerSecond: number }, Step[]][] = [
    ['a full bucket allows a burst of capacity, then says how long to wait', { capacity: 3, refillPerSecond: 1 }, [
      [0, OK], [0, OK], [0, OK], [0, wait(1000)],
    ]],
    ['Retry-After shrinks as time passes, then the take succeeds', { capacity: 1, refillPerSecond: 1 }, [
      [0, OK], [0, wait(1000)], [250, wait(750)], [749, wait(1)], [1, OK], [0, wait(1000)],
    ]],
    ['refill never exceeds capacity, however long the pause', { capacity: 2, refillPerSecond: 1 }, [
      [0, OK], [0, OK], [3_600_000, OK], [0, OK], [0, wait(1000)],
    ]],
    ['a fast rate: 10 per second is one per 100 ms', { capacity: 1, refillPerSecond: 10 }, [
      [0, OK], [0, wait(100)], [100, OK], [50, wait(50)], [50, OK],
    ]],
    ['a slow rate: one every 2 s', { capacity: 1, refillPerSecond: 0.5 }, [
      [0, OK], [0, wait(2000)], [1999, wait(1)], [1, OK],
    ]],
    ['a fractional rate whose arithmetic is inexact still refills on time', { capacity: 1, refillPerSecond: 3 }, [
      [0, OK], [0, wait(334)], [333, wait(1)], [1, OK],
    ]],
    ['a steady client at exactly the rate is never refused', { capacity: 1, refillPerSecond: 4 }, [
      [0, OK], [250, OK], [250, OK], [250, OK], [250, OK],
    ]],
  ];
  for (const [title, options, steps] of CASES) {
    it(title, () => {
      const clock = fakeClock(5000);
      const bucket = new TokenBucket({ ...options, now: clock.now });
      steps.forEach(([advance, expected], index) => {
        clock.advance(advance);
        assert.deepEqual(bucket.tryTake(), expected, `step ${index + 1}`);
      });
    });
  }

  for (const rate of [0.3, 0.7, 1, 3, 7, 13, 33.3, 1000 / 7, 999]) {
    it(`at ${rate}/s, waiting retryAfterMs is always enough and 1 ms less is not`, () => {
      const clock = fakeClock(1234.5);
      const bucket = new TokenBucket({ capacity: 2, refillPerSecond: rate, now: clock.now });
      for (let round = 0; round < 50; round += 1) {
        let refused = bucket.tryTake();
        while (refused.ok) refused = bucket.tryTake();
        if (refused.retryAfterMs > 1) {
          clock.advance(refused.retryAfterMs - 1);
          assert.equal(bucket.tryTake().ok, false, `round ${round}: 1 ms early was enough`);
          clock.advance(1);
        } else {
          clock.advance(refused.retryAfterMs);
        }
        assert.deepEqual(bucket.tryTake(), OK, `round ${round}`);
        clock.advance(round * 7.3); // vary the phase
      }
    });
  }

  it('a clock that goes backwards adds nothing and takes nothing away', () => {
    const clock = fakeClock(10_000);
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1, now: clock.now });
    assert.deepEqual(bucket.tryTake(), OK);
    clock.set(2_000);
    assert.deepEqual(bucket.tryTake(), wait(1000));
    clock.set(10_500);
    assert.deepEqual(bucket.tryTake(), wait(500));
    clock.set(11_000);
    assert.deepEqual(bucket.tryTake(), OK);
  });

  it('is idle (droppable) only when full again', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: clock.now });
    assert.equal(bucket.isIdle(), true);
    bucket.tryTake();
    assert.equal(bucket.isIdle(), false);
    assert.equal(bucket.available(), 1);
    clock.advance(1000);
    assert.equal(bucket.isIdle(), true);
  });

  it('uses the real monotonic clock when none is given', () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 0.001 });
    assert.deepEqual(bucket.tryTake(), OK);
    const refused = bucket.tryTake();
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.retryAfterMs > 900_000);
  });

  const REFUSED: [string, { capacity: number; refillPerSecond: number }, RegExp][] = [
    ['capacity 0', { capacity: 0, refillPerSecond: 1 }, /rate limit capacity 0 is not acceptable; expected a whole number ≥ 1/],
    ['fractional capacity', { capacity: 1.5, refillPerSecond: 1 }, /capacity 1.5/],
    ['refill 0', { capacity: 1, refillPerSecond: 0 }, /rate limit refill 0\/s is not acceptable; expected a number above zero/],
    ['negative refill', { capacity: 1, refillPerSecond: -1 }, /refill -1\/s/],
    ['infinite refill', { capacity: 1, refillPerSecond: Infinity }, /refill Infinity\/s/],
    ['NaN refill', { capacity: 1, refillPerSecond: Number.NaN }, /refill NaN\/s/],
  ];
  for (const [title, options, message] of REFUSED) {
    it(`${title} is refused`, () => {
      assert.throws(() => new TokenBucket(options), (error: unknown) => error instanceof SidecarError && message.test(error.message));
    });
  }
});

describe('KeyedBuckets', () => {
  it('keeps one bucket per key', () => {
    const clock = fakeClock();
    const buckets = new KeyedBuckets({ capacity: 1, refillPerSecond: 1, maxKeys: 10, now: clock.now });
    assert.deepEqual(buckets.tryTake('alice'), OK);
    assert.deepEqual(buckets.tryTake('alice'), wait(1000));
    assert.deepEqual(buckets.tryTake('bob'), OK);
    assert.equal(buckets.size, 2);
  });

  it('never holds more than maxKeys buckets, however many keys arrive', () => {
    const clock = fakeClock();
    const buckets = new KeyedBuckets({ capacity: 1, refillPerSecond: 1, maxKeys: 50, now: clock.now });
    for (let i = 0; i < 10_000; i += 1) {
      buckets.tryTake(`tool-${i}`);
      assert.ok(buckets.size <= 50);
    }
    assert.equal(buckets.size, 50);
  });

  it('evicts an idle bucket before a busy one, even when the busy one is older', () => {
    const clock = fakeClock();
    const buckets = new KeyedBuckets({ capacity: 2, refillPerSecond: 1, maxKeys: 2, now: clock.now });
    buckets.tryTake('busy');
    buckets.tryTake('busy'); // busy: 0 tokens, least recently used
    buckets.tryTake('idle'); // idle: 1 token
    clock.advance(1000); // busy: 1 token (not full), idle: 2 tokens (full)
    buckets.tryTake('newcomer');
    assert.equal(buckets.size, 2);
    // busy kept its state: one token left, then refused. A recreated bucket would allow two.
    assert.deepEqual(buckets.tryTake('busy'), OK);
    assert.equal(buckets.tryTake('busy').ok, false);
  });

  it('with no idle bucket, evicts the least recently used one (it starts again full)', () => {
    const clock = fakeClock();
    const buckets = new KeyedBuckets({ capacity: 1, refillPerSecond: 1, maxKeys: 2, now: clock.now });
    buckets.tryTake('a');
    buckets.tryTake('b');
    buckets.tryTake('a'); // refused, and a is now the most recently used
    buckets.tryTake('c'); // evicts b
    assert.equal(buckets.tryTake('a').ok, false, 'a kept its empty bucket');
    assert.deepEqual(buckets.tryTake('b'), OK, 'b was evicted and starts full');
  });

  it('prune() drops idle buckets only', () => {
    const clock = fakeClock();
    const buckets = new KeyedBuckets({ capacity: 1, refillPerSecond: 1, maxKeys: 10, now: clock.now });
    buckets.tryTake('a');
    clock.advance(1000);
    buckets.tryTake('b');
    assert.equal(buckets.prune(), 1);
    assert.equal(buckets.size, 1);
    assert.equal(buckets.tryTake('b').ok, false);
  });

  it('maxKeys 0 is refused', () => {
    assert.throws(() => new KeyedBuckets({ capacity: 1, refillPerSecond: 1, maxKeys: 0 }), /rate limit key bound 0 is not acceptable/);
  });
});

describe('ConcurrencyLimit', () => {
  it('allows maxPerKey holders per key, then refuses until one releases', () => {
    const limit = new ConcurrencyLimit(2);
    const first = limit.acquire('alice');
    const second = limit.acquire('alice');
    assert.ok(first && second);
    assert.equal(limit.acquire('alice'), undefined);
    assert.ok(limit.acquire('bob'), 'keys are independent');
    first();
    assert.equal(limit.count('alice'), 1);
    assert.ok(limit.acquire('alice'));
  });

  it('releasing twice releases once', () => {
    const limit = new ConcurrencyLimit(1);
    const release = limit.acquire('alice');
    const other = limit.acquire('bob');
    assert.ok(release && other);
    release();
    const again = limit.acquire('alice');
    assert.ok(again);
    release(); // a late second call from the first holder must not free the new holder's slot
    assert.equal(limit.count('alice'), 1);
    assert.equal(limit.acquire('alice'), undefined);
  });

  it('forgets a key when its last holder releases', () => {
    const limit = new ConcurrencyLimit(3);
    const releases = [limit.acquire('a'), limit.acquire('a'), limit.acquire('b')];
    assert.equal(limit.size, 2);
    for (const release of releases) release?.();
    assert.equal(limit.size, 0);
  });

  for (const bad of [0, -1, 1.5, Number.NaN]) {
    it(`a limit of ${bad} is refused`, () => {
      assert.throws(() => new ConcurrencyLimit(bad), /concurrency limit .* is not acceptable; expected a whole number ≥ 1/);
    });
  }
});

describe('bucketKey', () => {
  it('different part lists never share a key, whatever the parts contain', () => {
    const lists: string[][] = [['a:b', 'c'], ['a', 'b:c'], ['a', 'b', 'c'], ['a\u0000b', 'c'], ['a', '\u0000b', 'c'], ['["a"', '"b"]']];
    const keys = new Set(lists.map((parts) => bucketKey(...parts)));
    assert.equal(keys.size, lists.length);
  });
});
