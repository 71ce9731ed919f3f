/** The log's time field, made once per second and the milliseconds appended, reads as toISOString's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime, isoTimeOf } from '../../src/observability/iso-time.js';

describe('isoTimeOf', () => {
  it('matches Date#toISOString across milliseconds, second, day and year boundaries', () => {
    const starts = [0, Date.UTC(2026, 11, 4, 14, 28, 52), Date.UTC(2026, 11, 31, 23, 59, 59), Date.UTC(2028, 1, 29, 0, 0, 0) - 1500, Date.now()];
    for (const start of starts) {
      for (let now = start; now < start + 2500; now++) assert.equal(isoTimeOf(now), new Date(now).toISOString());
    }
  });

  it('matches it when time goes back (the clock was set)', () => {
    for (const now of [Date.UTC(2030, 0, 1, 0, 0, 1, 5), Date.UTC(2030, 0, 1, 0, 0, 0, 999), Date.UTC(2029, 0, 1), Date.UTC(2030, 0, 1, 0, 0, 1, 7)]) {
      assert.equal(isoTimeOf(now), new Date(now).toISOString());
    }
  });
});

describe('isoTime', () => {
  it('is pino\'s time field', () => {
    const before = Date.now();
    const field = isoTime();
    const match = /^,"time":"(.+)"$/.exec(field);
    assert.ok(match, field);
    const at = Date.parse(match[1] as string);
    assert.ok(at >= before && at <= Date.now(), field);
  });
});
