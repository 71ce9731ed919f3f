/**
 * JWT access tokens, checked as an OAuth 2.1 resource server (MCP authorization spec, "Token
 * Handling"): the signature against the authorization server's published keys (JWKS), the issuer,
 * the audience (RFC 8707: the token must name this resource; a token minted for another service
 * is refused, which is what stops token passthrough), and the expiry, which is required.
 *
 * Keys come from `jwks-source.ts`: fetched on first use, cached (`cacheMaxAgeMs`), refetched when
 * a token names an unknown `kid` (key rotation) but at most once per `cooldownMs`, so a flood of
 * tokens with made-up key ids cannot turn into a flood of requests to the authorization server;
 * one fetch at a time, and after a failed one none until the retry delay has passed.
 *
 * `verify()` never throws: every failure is a reason (for logs, metrics and the 401 challenge)
 * plus a detail that never contains the token.
 */
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { SidecarError } from '../errors/local.js';
import { isLoopback } from '../security/loopback.js';
import { createJwksSource, type JwksFetchOutcome } from './jwks-source.js';
import { DEFAULT_JWKS_RETRY } from './jwks-retry.js';
import { parseJwtFailure, type JwtFailureReason } from './jwt-failure.js';
import { createJwtPrincipal, type Principal } from './principal.js';

export type { JwtFailureReason } from './jwt-failure.js';

/**
 * Asymmetric signature algorithms only. A shared-secret algorithm (HS256…) would let anyone holding
 * the secret mint tokens, and accepting it next to RSA keys is the classic key-confusion attack;
 * `none` is an unsigned token.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export interface JwtVerifierOptions {
  /**
   * The authorization server's JWKS URL (its metadata's `jwks_uri`): https, since whoever can
   * change the keys in transit can mint tokens (http is accepted for loopback hosts only).
   */
  jwksUrl: string | URL;
  /** The exact `iss` value tokens must carry. */
  issuer: string;
  /** This resource's canonical URL (see `parseResourceUrl`); tokens whose `aud` lacks every entry are refused. */
  audience: string | readonly string[];
  /** Accepted algorithms, a subset of `ASYMMETRIC_ALGORITHMS`; default: all of them. */
  algorithms?: readonly string[];
  /** Allowed clock skew with the authorization server for `exp` and `nbf`, in seconds; default 5. */
  clockToleranceSec?: number;
  /** How long after a JWKS fetch an unknown `kid` may trigger another one; default 30 000 ms. */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again; default 600 000 ms. */
  cacheMaxAgeMs?: number;
  /** Timeout of one JWKS fetch; default 5000 ms. */
  timeoutMs?: number;
  /** After a failed JWKS fetch, how long until the next one may be tried; doubles per failure in a row. Default 1000 ms. */
  retryMinMs?: number;
  /** The longest wait between failed JWKS fetches; default 30 000 ms. */
  retryMaxMs?: number;
  /** Told how every JWKS fetch ended (for metrics). */
  onJwksFetch?: (outcome: JwksFetchOutcome) => void;
  /** When set, the `typ` header tokens must carry (RFC 9068 access tokens: `at+jwt`). */
  requiredType?: string;
}

export type JwtVerification =
  | { ok: true; principal: Principal; /** `exp`, in ms since the epoch (the claim is required). */ expiresAtMs: number }
  | { ok: false; reason: JwtFailureReason; detail: string };

/** Checks JWT access tokens; see `createJwtVerifier`. */
export interface JwtVerifier {
  /** The principal `token` stands for, or why it is refused. Never throws. */
  verify(token: string): Promise<JwtVerification>;
}

function invalid(message: string): SidecarError {
  return new SidecarError('CONFIG_INVALID', message);
}

function checkAlgorithms(algorithms: readonly string[] | undefined): string[] {
  const chosen = algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (chosen.length === 0) throw invalid(`JWT algorithms: at least one of ${ASYMMETRIC_ALGORITHMS.join(', ')} is required`);
  for (const alg of chosen) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw invalid(`JWT algorithm ${JSON.stringify(alg)} is not accepted; expected one of ${ASYMMETRIC_ALGORITHMS.join(', ')} (asymmetric only)`);
    }
  }
  return [...chosen];
}

function checkDuration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw invalid(`JWT ${name} ${value} is not acceptable; expected a whole number ≥ 0`);
  return value;
}

function parseJwksUrl(raw: string | URL): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`the JWKS URL ${JSON.stringify(String(raw))} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw invalid(`the JWKS URL ${JSON.stringify(url.href)} must use https (http is accepted for loopback hosts only)`);
  }
  return url;
}

/** The scopes a token grants: the RFC 9068 `scope` string, else an `scp` array (or string). */
export function scopesOf(payload: JWTPayload): string[] {
  const raw = typeof payload.scope === 'string' ? payload.scope : payload.scp;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return [...new Set(list.filter((scope): scope is string => typeof scope === 'string' && scope !== ''))];
}

/** Marks an error thrown while looking up the key, so it is not mistaken for a token problem. */
class KeyLookupError extends Error {
  constructor(cause: unknown) {
    super('JWKS key lookup failed', { cause });
    this.name = 'KeyLookupError';
  }
}

/**
 * A verifier for one authorization server. Options are checked now (throws `SidecarError`
 * `CONFIG_INVALID`); the JWKS is not fetched until the first token arrives.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const jwksUrl = parseJwksUrl(options.jwksUrl);
  if (options.issuer.trim() === '') throw invalid('the JWT issuer must not be empty');
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (audience.length === 0 || audience.some((aud) => aud.trim() === '')) throw invalid('the JWT audience (resource URL) must not be empty');
  const algorithms = checkAlgorithms(options.algorithms);
  const clockTolerance = checkDuration('clock tolerance', options.clockToleranceSec, 5);
  const retryMinMs = checkDuration('JWKS retry delay', options.retryMinMs, DEFAULT_JWKS_RETRY.minMs);
  const remote = createJwksSource({
    url: jwksUrl,
    cooldownMs: checkDuration('JWKS cooldown', options.cooldownMs, 30_000),
    cacheMaxAgeMs: checkDuration('JWKS cache max age', options.cacheMaxAgeMs, 600_000),
    timeoutMs: checkDuration('JWKS timeout', options.timeoutMs, 5000),
    retry: { minMs: retryMinMs, maxMs: Math.max(retryMinMs, checkDuration('JWKS retry max delay', options.retryMaxMs, DEFAULT_JWKS_RETRY.maxMs)) },
    ...(options.onJwksFetch ? { onFetch: options.onJwksFetch } : {}),
  });
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      throw new KeyLookupError(error);
    }
  };

  async function verify(token: string): Promise<JwtVerification> {
    if (typeof token !== 'string' || token === '') return { ok: false, reason: 'malformed', detail: 'no token' };
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: options.issuer,
        audience,
        algorithms,
        clockTolerance,
        requiredClaims: ['exp', 'sub'],
        ...(options.requiredType === undefined ? {} : { typ: options.requiredType }),
      });
      // requiredClaims only says `sub` is present; a principal name must be a non-empty string.
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        return { ok: false, reason: 'invalid-claim', detail: 'the "sub" claim must be a non-empty string' };
      }
      return { ok: true, principal: createJwtPrincipal(payload.sub, scopesOf(payload)), expiresAtMs: (payload.exp as number) * 1000 };
    } catch (error) {
      const lookup = error instanceof KeyLookupError;
      return parseJwtFailure(lookup ? error.cause : error, lookup, jwksUrl.href);
    }
  }

  return { verify };
}
