/**
 * Why a JWT was refused, from the error jose (or the JWKS fetch) threw: one reason per thing an
 * operator would do differently, and a detail for the log. Pure: no I/O, table-tested.
 */
import { errors } from 'jose';

/** Why a JWT access token was refused. */
export type JwtFailureReason =
  /** `exp` (or an `iat` too far back) is in the past. */
  | 'expired'
  /** `nbf` is in the future. */
  | 'not-yet-valid'
  /** `iss` is absent or not the configured issuer. */
  | 'wrong-issuer'
  /** `aud` is absent or does not name this resource (RFC 8707). */
  | 'wrong-audience'
  /** A required claim (`exp`, `sub`) is absent. */
  | 'missing-claim'
  /** Another claim or header check failed (`iat` in the future, `typ`, a claim of the wrong type). */
  | 'invalid-claim'
  /** The signature does not verify with the key the token names. */
  | 'bad-signature'
  /** No key (or more than one) in the JWKS matches the token's `kid`/`alg`, even after a refetch. */
  | 'unknown-key'
  /** `alg` is `none`, symmetric, or not among the configured algorithms. */
  | 'alg-not-allowed'
  /** Not a compact JWS carrying a JSON claims set. */
  | 'malformed'
  /**
   * The JWKS could not be fetched or parsed (down, timeout, not 200, not a key set). Not the
   * client's fault: answer 503, not 401, so a client does not throw away a good token.
   */
  | 'jwks-unavailable';

export interface JwtFailure {
  ok: false;
  reason: JwtFailureReason;
  detail: string;
}

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function claimFailure(error: errors.JWTClaimValidationFailed): JwtFailure {
  const detail = error.message;
  if (error.reason === 'missing' && error.claim !== 'iss' && error.claim !== 'aud') {
    return { ok: false, reason: 'missing-claim', detail };
  }
  switch (error.claim) {
    case 'iss':
      return { ok: false, reason: 'wrong-issuer', detail };
    case 'aud':
      return { ok: false, reason: 'wrong-audience', detail };
    case 'nbf':
      return { ok: false, reason: 'not-yet-valid', detail };
    default:
      return { ok: false, reason: 'invalid-claim', detail };
  }
}

function keyLookupFailure(error: unknown, jwksUrl: string): JwtFailure {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return { ok: false, reason: 'unknown-key', detail: 'no key in the JWKS matches the token\'s "kid" and "alg"' };
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return { ok: false, reason: 'unknown-key', detail: 'more than one key in the JWKS matches the token and it names no "kid"' };
  }
  if (error instanceof errors.JOSENotSupported) {
    return { ok: false, reason: 'alg-not-allowed', detail: messageOf(error) };
  }
  if (error instanceof errors.JWKSTimeout) {
    return { ok: false, reason: 'jwks-unavailable', detail: `JWKS ${jwksUrl}: timed out` };
  }
  const code = causeCode(error);
  return { ok: false, reason: 'jwks-unavailable', detail: `JWKS ${jwksUrl}: ${messageOf(error)}${code ? ` (${code})` : ''}` };
}

/**
 * The failure for an error thrown by `jwtVerify`. `duringKeyLookup` says it came from the key
 * resolver (a JWKS problem or an unknown key) rather than from the token itself.
 */
export function parseJwtFailure(error: unknown, duringKeyLookup: boolean, jwksUrl: string): JwtFailure {
  if (duringKeyLookup) return keyLookupFailure(error, jwksUrl);
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail: error.message };
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailure(error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad-signature', detail: error.message };
  if (error instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'alg-not-allowed', detail: error.message };
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return { ok: false, reason: 'malformed', detail: error.message };
  }
  // Anything else (a TypeError from a claim of the wrong type, an unsupported key type) is a token
  // we cannot use; treat it as malformed rather than let it escape.
  return { ok: false, reason: 'malformed', detail: messageOf(error) };
}
