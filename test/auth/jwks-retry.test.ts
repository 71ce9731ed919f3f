/** The JWKS retry delay as the pure function it is: a table of failures in a row → wait. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_JWKS_RETRY, nextJwksRetryDelay } from '../../src/auth/jwks-retry.js';

describe('nextJwksRetryDelay', () => {
  const CASES: [policy: { minMs: number; maxMs: number }, failures: number, delayMs: number][] = [
    [DEFAULT_JWKS_RETRY, 0, 0], // no failure, no wait
    [DEFAULT_JWKS_RETRY, 1, 1000],
    [DEFAULT_JWKS_RETRY, 2, 2000],
    [DEFAULT_JWKS_RETRY, 3, 4000],
    [DEFAULT_JWKS_RETRY, 5, 16_000],
    [DEFAULT_JWKS_RETRY, 6, 30_000], // 32 s capped
    [DEFAULT_JWKS_RETRY, 1000, 30_000], // no overflow, stays at the cap
    [{ minMs: 100, maxMs: 250 }, 2, 200],
    [{ minMs: 100, maxMs: 250 }, 3, 250],
    [{ minMs: 0, maxMs: 30_000 }, 4, 0], // retry off: every token may fetch
    [{ minMs: 500, maxMs: 500 }, 9, 500], // constant
  ];
  for (const [policy, failures, delayMs] of CASES) {
    it(`${policy.minMs}→${policy.maxMs} ms, ${failures} failure(s) in a row: ${delayMs} ms`, () => {
      assert.equal(nextJwksRetryDelay(policy, failures), delayMs);
    });
  }
});
