/**
 * The per-session event store, table-style: it is bounded by count and by bytes (oldest first),
 * counts every eviction, never replays another stream's events, says when a replay may have lost
 * something, and recognizes only ids of its own shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventStore, parseEventId, type EventStoreLimits } from '../../src/session/event-store.js';

/** `[stream, bytes]` per appended event; each event's raw text names its stream and order. */
type Appends = [stream: number, bytes: number][];

function fill(limits: EventStoreLimits, appends: Appends): { store: EventStore; ids: (string | undefined)[]; evictions: number[] } {
  const evictions: number[] = [];
  const store = new EventStore(limits, (count) => evictions.push(count));
  const ids = appends.map(([stream, bytes], index) => store.append(stream, `s${stream}e${index}`, bytes));
  return { store, ids, evictions };
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
const LOTS = { maxEvents: 1_000_000, maxBytes: 1024 ** 3 };

interface BoundCase {
  name: string;
  limits: EventStoreLimits;
  appends: Appends;
  /** Raw text of what is kept on stream 0 after it starts (`after(0, 0)`). */
  kept: string[];
  evicted: number;
}

const BOUNDS: BoundCase[] = [
  { name: 'under both bounds: all kept', limits: { maxEvents: 3, maxBytes: 100 }, appends: [[0, 10], [0, 10], [0, 10]], kept: ['s0e0', 's0e1', 's0e2'], evicted: 0 },
  { name: 'over the count: the oldest go', limits: { maxEvents: 3, maxBytes: 100 }, appends: [[0, 1], [0, 1], [0, 1], [0, 1], [0, 1]], kept: ['s0e2', 's0e3', 's0e4'], evicted: 2 },
  { name: 'over the bytes: the oldest go until it fits', limits: { maxEvents: 100, maxBytes: 10 }, appends: [[0, 4], [0, 4], [0, 4], [0, 4]], kept: ['s0e2', 's0e3'], evicted: 2 },
  { name: 'one big event pushes out several small ones', limits: { maxEvents: 100, maxBytes: 10 }, appends: [[0, 3], [0, 3], [0, 3], [0, 9]], kept: ['s0e3'], evicted: 3 },
  { name: 'an event over the byte bound alone is not kept', limits: { maxEvents: 100, maxBytes: 10 }, appends: [[0, 2], [0, 11]], kept: [], evicted: 2 },
  { name: 'the count bound is shared by every stream', limits: { maxEvents: 2, maxBytes: 100 }, appends: [[0, 1], [1, 1], [0, 1], [1, 1]], kept: ['s0e2'], evicted: 2 },
  { name: 'exactly at both bounds: nothing goes', limits: { maxEvents: 2, maxBytes: 8 }, appends: [[0, 4], [0, 4]], kept: ['s0e0', 's0e1'], evicted: 0 },
];

describe('EventStore bounds', () => {
  for (const testCase of BOUNDS) {
    it(testCase.name, () => {
      const { store, evictions } = fill(testCase.limits, testCase.appends);
      assert.deepEqual(store.after(0, 0).events.map((event) => event.raw), testCase.kept);
      assert.equal(store.evicted, testCase.evicted);
      assert.equal(sum(evictions), testCase.evicted, 'every eviction is reported to the counter');
      assert.ok(evictions.every((count) => count > 0), 'no empty eviction reports');
      assert.equal(store.size, testCase.appends.length - testCase.evicted);
    });
  }

  it('stays bounded over a long run, keeping the newest in order', () => {
    const { store, evictions } = fill({ maxEvents: 10, maxBytes: 1024 }, Array.from({ length: 5000 }, (): [number, number] => [0, 1]));
    assert.equal(store.size, 10);
    assert.equal(store.evicted, 4990);
    assert.equal(sum(evictions), 4990);
    assert.deepEqual(store.after(0, 0).events.map((event) => event.id), Array.from({ length: 10 }, (_, i) => `0-${4991 + i}`));
  });
});

describe('EventStore disabled', () => {
  for (const limits of [{ maxEvents: 0, maxBytes: 1024 }, { maxEvents: 10, maxBytes: 0 }]) {
    it(`keeps nothing and hands out no ids with ${JSON.stringify(limits)}`, () => {
      const { store, ids, evictions } = fill(limits, [[0, 1], [1, 1]]);
      assert.equal(store.enabled, false);
      assert.deepEqual(ids, [undefined, undefined]);
      assert.equal(store.size, 0);
      assert.deepEqual(evictions, []);
      assert.equal(store.issued(0), false);
      assert.equal(store.issued(1), false);
    });
  }
});

describe('EventStore ids and replay', () => {
  it('numbers events session-wide: <stream>-<n>, n increasing across streams and priming marks', () => {
    const store = new EventStore(LOTS, () => undefined);
    const ids = [store.mark(0), store.append(0, 'a', 1), store.append(1, 'b', 1), store.mark(2), store.append(0, 'c', 1)];
    assert.deepEqual(ids, ['0-1', '0-2', '1-3', '2-4', '0-5']);
    assert.equal(store.size, 3, 'a priming mark is not kept');
    assert.equal(store.issued(5), true);
    assert.equal(store.issued(6), false);
  });

  interface ReplayCase { name: string; stream: number; after: number; ids: string[] }
  // Streams 0 and 1 interleaved: 0-1, 1-2, 0-3, 1-4, 0-5, 1-6.
  const INTERLEAVED: Appends = [[0, 1], [1, 1], [0, 1], [1, 1], [0, 1], [1, 1]];
  const REPLAYS: ReplayCase[] = [
    { name: 'stream 0 from its start', stream: 0, after: 0, ids: ['0-1', '0-3', '0-5'] },
    { name: 'stream 1 from its start', stream: 1, after: 0, ids: ['1-2', '1-4', '1-6'] },
    { name: 'stream 0 after its own event', stream: 0, after: 3, ids: ['0-5'] },
    { name: 'stream 0 after an id past all of its events', stream: 0, after: 5, ids: [] },
    { name: 'stream 1 after a counter value of stream 0', stream: 1, after: 3, ids: ['1-4', '1-6'] },
    { name: 'a stream that has no events', stream: 7, after: 0, ids: [] },
  ];
  for (const testCase of REPLAYS) {
    it(`after() never crosses streams: ${testCase.name}`, () => {
      const { store } = fill(LOTS, INTERLEAVED);
      const replay = store.after(testCase.stream, testCase.after);
      assert.equal(replay.stream, testCase.stream);
      assert.deepEqual(replay.events.map((event) => event.id), testCase.ids);
      assert.ok(replay.events.every((event) => event.raw.startsWith(`s${testCase.stream}e`)), 'only this stream\'s raw text');
      assert.equal(replay.incomplete, false);
    });
  }

  interface IncompleteCase { name: string; limits: EventStoreLimits; appends: Appends; stream: number; after: number; incomplete: boolean }
  const INCOMPLETE: IncompleteCase[] = [
    { name: 'nothing evicted', limits: LOTS, appends: [[0, 1], [0, 1]], stream: 0, after: 0, incomplete: false },
    { name: 'evicted after the resumption point', limits: { maxEvents: 2, maxBytes: 100 }, appends: [[0, 1], [0, 1], [0, 1], [0, 1]], stream: 0, after: 1, incomplete: true },
    { name: 'evicted only up to the resumption point', limits: { maxEvents: 2, maxBytes: 100 }, appends: [[0, 1], [0, 1], [0, 1], [0, 1]], stream: 0, after: 2, incomplete: false },
    { name: 'evicted by bytes after the resumption point', limits: { maxEvents: 100, maxBytes: 5 }, appends: [[0, 3], [0, 3], [0, 3]], stream: 0, after: 0, incomplete: true },
    // The counter is session-wide: the store cannot tell whose events went, so it says "maybe".
    { name: 'another stream\'s events evicted after the point', limits: { maxEvents: 2, maxBytes: 100 }, appends: [[0, 1], [1, 1], [1, 1], [0, 1]], stream: 0, after: 1, incomplete: true },
  ];
  for (const testCase of INCOMPLETE) {
    it(`incomplete is ${testCase.incomplete}: ${testCase.name}`, () => {
      const { store } = fill(testCase.limits, testCase.appends);
      assert.equal(store.after(testCase.stream, testCase.after).incomplete, testCase.incomplete);
    });
  }
});

describe('parseEventId', () => {
  const CASES: [string, { stream: number; n: number } | undefined][] = [
    ['0-1', { stream: 0, n: 1 }],
    ['12-345', { stream: 12, n: 345 }],
    ['999999999-999999999999999', { stream: 999_999_999, n: 999_999_999_999_999 }],
    ['', undefined],
    ['1', undefined],
    ['1-', undefined],
    ['-1', undefined],
    ['-1-2', undefined],
    ['1-2-3', undefined],
    ['a-1', undefined],
    ['1-b', undefined],
    [' 1-2', undefined],
    ['1-2 ', undefined],
    ['1.5-2', undefined],
    ['1000000000-1', undefined],
    ['1-1000000000000000', undefined],
    ['0x1-2', undefined],
  ];
  for (const [raw, expected] of CASES) {
    it(`${JSON.stringify(raw)} → ${expected ? `${expected.stream}/${expected.n}` : 'not ours'}`, () => {
      assert.deepEqual(parseEventId(raw), expected);
    });
  }
});
