/**
 * The mapping from what jose (or the JWKS fetch) threw to the reason an operator reads in a log
 * line and the HTTP answer is chosen by: a table over jose's error classes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from 'jose';
import { parseJwtFailure, type JwtFailureReason } from '../../src/auth/jwt-failure.js';

const JWKS = 'https://auth.example.com/jwks';

function claimError(claim: string, reason: string): errors.JWTClaimValidationFailed {
  return new errors.JWTClaimValidationFailed(`"${claim}" ${reason}`, {}, claim, reason);
}

function fetchFailed(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
}

describe('parseJwtFailure: errors from the token', () => {
  const CASES: [string, unknown, JwtFailureReason][] = [
    ['JWTExpired', new errors.JWTExpired('"exp" claim timestamp check failed', {}, 'exp', 'check_failed'), 'expired'],
    ['iss mismatch', claimError('iss', 'check_failed'), 'wrong-issuer'],
    ['iss missing', claimError('iss', 'missing'), 'wrong-issuer'],
    ['aud mismatch', claimError('aud', 'check_failed'), 'wrong-audience'],
    ['aud missing', claimError('aud', 'missing'), 'wrong-audience'],
    ['exp missing', claimError('exp', 'missing'), 'missing-claim'],
    ['sub missing', claimError('sub', 'missing'), 'missing-claim'],
    ['nbf in the future', claimError('nbf', 'check_failed'), 'not-yet-valid'],
    ['iat in the future', claimError('iat', 'check_failed'), 'invalid-claim'],
    ['typ mismatch', claimError('typ', 'check_failed'), 'invalid-claim'],
    ['exp not a number', claimError('exp', 'invalid'), 'invalid-claim'],
    ['JWSSignatureVerificationFailed', new errors.JWSSignatureVerificationFailed(), 'bad-signature'],
    ['JOSEAlgNotAllowed', new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed'), 'alg-not-allowed'],
    ['JWSInvalid', new errors.JWSInvalid('Invalid Compact JWS'), 'malformed'],
    ['JWTInvalid', new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object'), 'malformed'],
    ['a TypeError', new TypeError('something odd'), 'malformed'],
    ['a thrown string', 'odd', 'malformed'],
  ];
  for (const [title, error, reason] of CASES) {
    it(`${title} → ${reason}`, () => {
      const failure = parseJwtFailure(error, false, JWKS);
      assert.equal(failure.ok, false);
      assert.equal(failure.reason, reason);
      assert.notEqual(failure.detail, '');
    });
  }
});

describe('parseJwtFailure: errors while looking up the key', () => {
  const CASES: [string, unknown, JwtFailureReason, RegExp][] = [
    ['JWKSNoMatchingKey', new errors.JWKSNoMatchingKey(), 'unknown-key', /no key in the JWKS matches/],
    ['JWKSMultipleMatchingKeys', new errors.JWKSMultipleMatchingKeys(), 'unknown-key', /more than one key/],
    ['JOSENotSupported (HS256 against a JWKS)', new errors.JOSENotSupported('Unsupported "alg" value for a JSON Web Key Set'), 'alg-not-allowed', /Unsupported "alg"/],
    ['JWKSTimeout', new errors.JWKSTimeout(), 'jwks-unavailable', /^JWKS https:\/\/auth.example.com\/jwks: timed out$/],
    ['JWKSInvalid', new errors.JWKSInvalid('JSON Web Key Set malformed'), 'jwks-unavailable', /JSON Web Key Set malformed/],
    ['a non-200 answer', new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response'), 'jwks-unavailable', /Expected 200 OK/],
    ['connection refused', fetchFailed('ECONNREFUSED'), 'jwks-unavailable', /fetch failed \(ECONNREFUSED\)$/],
    ['DNS failure', fetchFailed('ENOTFOUND'), 'jwks-unavailable', /\(ENOTFOUND\)$/],
  ];
  for (const [title, error, reason, detail] of CASES) {
    it(`${title} → ${reason}`, () => {
      const failure = parseJwtFailure(error, true, JWKS);
      assert.equal(failure.reason, reason);
      assert.match(failure.detail, detail);
    });
  }
});
