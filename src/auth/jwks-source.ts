/**
 * The authorization server's keys, fetched from its JWKS URL and handed to jose as a key resolver.
 *
 * - Cached for `cacheMaxAgeMs`; refetched once for a token naming an unknown `kid` (key rotation),
 *   but not within `cooldownMs` of the last good fetch, so made-up key ids cost nothing upstream.
 * - Single-flight: while a fetch is under way, every token that needs the keys waits for that one.
 * - A failed fetch (refused, not 200, not JSON, not a key set, timed out) is remembered: until
 *   `nextJwksRetryDelay` has passed (1 s doubling to 30 s, reset by a success) tokens that need a
 *   fetch fail at once with the last failure instead of fetching again. A failing or hanging
 *   authorization server is not hammered, and clients do not each wait out the timeout.
 *
 * Fails closed: no keys, no token accepted (the caller answers 503 `AUTH_UNAVAILABLE`).
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { DEFAULT_JWKS_RETRY, nextJwksRetryDelay, type JwksRetryPolicy } from './jwks-retry.js';

/** How one JWKS fetch ended; the label of `mcp_sidecar_jwks_fetches_total`. */
export type JwksFetchOutcome = 'ok' | 'error' | 'timeout';

export interface JwksSourceOptions {
  url: URL;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
  retry?: JwksRetryPolicy;
  /** Told about every fetch that ends (not about tokens refused while waiting to retry). */
  onFetch?: (outcome: JwksFetchOutcome) => void;
}

/** Thrown instead of fetching while a failed JWKS is waiting to be retried; `cause` is the last failure. */
export class JwksBackoffError extends Error {
  readonly retryInMs: number;
  constructor(last: unknown, retryInMs: number) {
    const message = last instanceof Error ? last.message : String(last);
    super(`${message}; not fetched again for ${Math.ceil(retryInMs / 1000)} s`, { cause: last });
    this.name = 'JwksBackoffError';
    this.retryInMs = retryInMs;
  }
}

async function fetchKeySet(url: URL, timeoutMs: number): Promise<ReturnType<typeof createLocalJWKSet>> {
  const response = await fetch(url, {
    method: 'GET',
    redirect: 'manual',
    headers: { accept: 'application/json, application/jwk-set+json' },
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    throw (error as Error).name === 'TimeoutError' ? new errors.JWKSTimeout(undefined, { cause: error }) : error;
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined); // the body is not wanted; free the connection
    throw new errors.JOSEError(`Expected 200 OK from the JSON Web Key Set HTTP response, got ${response.status}`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (cause) {
    if ((cause as Error).name === 'TimeoutError') throw new errors.JWKSTimeout(undefined, { cause });
    throw new errors.JOSEError('Failed to parse the JSON Web Key Set HTTP response as JSON', { cause });
  }
  return createLocalJWKSet(json as JSONWebKeySet); // throws JWKSInvalid for anything not a key set
}

/** A key resolver for `jwtVerify`; nothing is fetched until the first token needs a key. */
export function createJwksSource(options: JwksSourceOptions): JWTVerifyGetKey {
  const retry = options.retry ?? DEFAULT_JWKS_RETRY;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = -Infinity;
  let pending: Promise<void> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastFailure: unknown;

  const within = (since: number, ms: number): boolean => Date.now() < since + ms;

  function refresh(): Promise<void> {
    if (pending) return pending;
    const wait = retryAt - Date.now();
    if (failures > 0 && wait > 0) return Promise.reject(new JwksBackoffError(lastFailure, wait));
    pending = fetchKeySet(options.url, options.timeoutMs).then(
      (fresh) => {
        keys = fresh;
        fetchedAt = Date.now();
        failures = 0;
        lastFailure = undefined;
        options.onFetch?.('ok');
      },
      (error: unknown) => {
        failures += 1;
        retryAt = Date.now() + nextJwksRetryDelay(retry, failures);
        lastFailure = error;
        options.onFetch?.(error instanceof errors.JWKSTimeout ? 'timeout' : 'error');
        throw error;
      },
    ).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  return async (header, token) => {
    if (!keys || !within(fetchedAt, options.cacheMaxAgeMs)) await refresh();
    try {
      return await keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || within(fetchedAt, options.cooldownMs)) throw error;
      await refresh();
      return keys!(header, token);
    }
  };
}
