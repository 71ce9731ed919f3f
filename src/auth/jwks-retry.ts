/**
 * How long a failing JWKS is left alone before the next fetch: `minMs` after the first failure,
 * doubling with each failure in a row up to `maxMs`; a success starts over. Pure, table-tested.
 */

export interface JwksRetryPolicy {
  /** The wait after the first failure. */
  minMs: number;
  /** The longest wait, reached by doubling. */
  maxMs: number;
}

export const DEFAULT_JWKS_RETRY: JwksRetryPolicy = Object.freeze({ minMs: 1000, maxMs: 30_000 });

/** The wait after `failures` failed fetches in a row (1 for the first); 0 when there were none. */
export function nextJwksRetryDelay(policy: JwksRetryPolicy, failures: number): number {
  if (failures <= 0 || policy.minMs <= 0) return 0;
  // 2 ** 30 already exceeds any sensible maxMs; capping the exponent keeps the product finite.
  return Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(failures - 1, 30));
}
