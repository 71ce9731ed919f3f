/**
 * JWT access tokens checked against a real JWKS served on 127.0.0.1, with keys made by jose: every
 * way a token can be wrong gives its own reason, and nothing throws. (Fetching, caching, rotation
 * and an unavailable JWKS: jwt-verifier-jwks.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base64url, CompactSign, SignJWT, type JWTPayload } from 'jose';
import { createJwtVerifier, scopesOf, type JwtVerifierOptions } from '../../src/auth/jwt-verifier.js';
import { SidecarError } from '../../src/errors/local.js';
import {
  claims,
  createSigningKey,
  expectFailure,
  ISSUER,
  nowSec,
  RESOURCE,
  sign,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from './jwt-fixtures.js';

describe('createJwtVerifier: tokens', () => {
  let server: JwksServer;
  let k1: SigningKey;
  let stranger: SigningKey;
  let options: JwtVerifierOptions;

  before(async () => {
    [k1, stranger] = await Promise.all([createSigningKey('k1'), createSigningKey('k1')]);
    server = await startJwksServer([k1.jwk]);
    options = { jwksUrl: server.url, issuer: ISSUER, audience: RESOURCE };
  });
  after(async () => {
    await server.close();
  });

  it('a valid token gives a JWT principal with its subject and scopes', async () => {
    const exp = nowSec() + 300;
    assert.deepEqual(await createJwtVerifier(options).verify(await sign(k1, claims({ exp }))), {
      ok: true,
      principal: { name: 'user-1', kind: 'jwt', scopes: ['tools:read', 'tools:call'], subject: 'user-1' },
      expiresAtMs: exp * 1000,
    });
  });

  it('one of several configured audiences is enough', async () => {
    const verifier = createJwtVerifier({ ...options, audience: ['https://old.example.com/mcp', RESOURCE] });
    assert.equal((await verifier.verify(await sign(k1))).ok, true);
  });

  describe('claims', () => {
    const CASES: [string, () => JWTPayload, string | undefined][] = [
      ['expired an hour ago', () => claims({ exp: nowSec() - 3600 }), 'expired'],
      ['expired 60 s ago (beyond the 5 s tolerance)', () => claims({ exp: nowSec() - 60 }), 'expired'],
      ['expired 2 s ago (within the clock tolerance)', () => claims({ exp: nowSec() - 2 }), undefined],
      ['not valid before an hour from now', () => claims({ nbf: nowSec() + 3600 }), 'not-yet-valid'],
      ['another issuer', () => claims({ iss: 'https://evil.example.com/' }), 'wrong-issuer'],
      ['the issuer without its trailing slash', () => claims({ iss: 'https://auth.example.com' }), 'wrong-issuer'],
      ['no issuer', () => claims({ iss: undefined }), 'wrong-issuer'],
      ['another audience (a token for another service)', () => claims({ aud: 'https://other.example.com/mcp' }), 'wrong-audience'],
      ['an audience that only starts like ours', () => claims({ aud: `${RESOURCE}/admin` }), 'wrong-audience'],
      ['no audience', () => claims({ aud: undefined }), 'wrong-audience'],
      ['several audiences including ours', () => claims({ aud: ['https://other.example.com', RESOURCE] }), undefined],
      ['no expiry', () => claims({ exp: undefined }), 'missing-claim'],
      ['no subject', () => claims({ sub: undefined }), 'missing-claim'],
      ['an empty subject', () => claims({ sub: '' }), 'invalid-claim'],
      ['an expiry that is not a number', () => claims({ exp: 'tomorrow' }), 'invalid-claim'],
      ['issued in the future is fine (jose checks iat only with maxTokenAge)', () => claims({ iat: nowSec() + 3600 }), undefined],
    ];
    for (const [title, payload, reason] of CASES) {
      it(`${title} → ${reason ?? 'accepted'}`, async () => {
        const token = await sign(k1, payload());
        const result = await createJwtVerifier(options).verify(token);
        if (reason === undefined) assert.equal(result.ok, true, result.ok ? '' : `${result.reason}: ${result.detail}`);
        else expectFailure(result, reason, token);
      });
    }
  });

  describe('signatures and algorithms', () => {
    it('signed by another key that claims our kid → bad-signature', async () => {
      const token = await sign(stranger);
      expectFailure(await createJwtVerifier(options).verify(token), 'bad-signature', token);
    });

    it('a payload changed after signing → bad-signature', async () => {
      const [header, , signature] = (await sign(k1)).split('.');
      const forged = `${header}.${base64url.encode(JSON.stringify(claims({ sub: 'admin' })))}.${signature}`;
      expectFailure(await createJwtVerifier(options).verify(forged), 'bad-signature', forged);
    });

    it('alg "none" (an unsigned token) → alg-not-allowed, without fetching keys', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', kid: 'k1' }));
      const token = `${header}.${base64url.encode(JSON.stringify(claims()))}.`;
      const before = server.fetches;
      expectFailure(await createJwtVerifier(options).verify(token), 'alg-not-allowed', token);
      assert.equal(server.fetches, before);
    });

    it('HS256 (a shared secret, the key-confusion attack) → alg-not-allowed', async () => {
      const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
      expectFailure(await createJwtVerifier(options).verify(token), 'alg-not-allowed', token);
    });

    it('an asymmetric algorithm left out of the configured list → alg-not-allowed', async () => {
      const token = await sign(k1);
      expectFailure(await createJwtVerifier({ ...options, algorithms: ['ES256'] }).verify(token), 'alg-not-allowed', token);
    });

    for (const alg of ['ES256', 'PS256', 'EdDSA', 'Ed25519']) {
      it(`${alg} keys verify`, async () => {
        const key = await createSigningKey(`key-${alg}`, alg);
        const local = await startJwksServer([key.jwk]);
        try {
          const result = await createJwtVerifier({ ...options, jwksUrl: local.url }).verify(await sign(key));
          assert.equal(result.ok, true, result.ok ? '' : `${result.reason}: ${result.detail}`);
        } finally {
          await local.close();
        }
      });
    }
  });

  describe('malformed tokens', () => {
    const CASES: [string, string][] = [
      ['an empty string', ''],
      ['one segment', 'abc'],
      ['three segments of garbage', 'a.b.c'],
      ['a header that is not JSON', `${base64url.encode('nope')}.${base64url.encode('{}')}.sig`],
      ['five segments (a JWE)', 'a.b.c.d.e'],
    ];
    for (const [title, token] of CASES) {
      it(`${title} → malformed`, async () => {
        expectFailure(await createJwtVerifier(options).verify(token), 'malformed');
      });
    }

    it('a claims set that is not JSON → malformed', async () => {
      const token = await new CompactSign(new TextEncoder().encode('not json'))
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(k1.privateKey);
      expectFailure(await createJwtVerifier(options).verify(token), 'malformed', token);
    });

    it('a value that is not a string → malformed, not a throw', async () => {
      expectFailure(await createJwtVerifier(options).verify(undefined as unknown as string), 'malformed');
      expectFailure(await createJwtVerifier(options).verify(42 as unknown as string), 'malformed');
    });
  });

  describe('the typ header (RFC 9068), when required', () => {
    it('at+jwt is accepted, application/at+jwt too, a plain JWT is refused', async () => {
      const verifier = createJwtVerifier({ ...options, requiredType: 'at+jwt' });
      assert.equal((await verifier.verify(await sign(k1, claims(), { typ: 'at+jwt' }))).ok, true);
      assert.equal((await verifier.verify(await sign(k1, claims(), { typ: 'application/at+jwt' }))).ok, true);
      expectFailure(await verifier.verify(await sign(k1, claims(), { typ: 'JWT' })), 'invalid-claim');
      expectFailure(await verifier.verify(await sign(k1)), 'invalid-claim');
    });
  });
});

describe('scopesOf', () => {
  const CASES: [string, JWTPayload, string[]][] = [
    ['a scope string', { scope: 'a b  c' }, ['a', 'b', 'c']],
    ['an scp array', { scp: ['a', 'b'] }, ['a', 'b']],
    ['an scp string', { scp: 'a b' }, ['a', 'b']],
    ['scope wins over scp', { scope: 'a', scp: ['b'] }, ['a']],
    ['repeated scopes once', { scope: 'a a b' }, ['a', 'b']],
    ['non-strings in scp dropped', { scp: ['a', 1, null, ''] }, ['a']],
    ['no scopes', {}, []],
    ['a scope that is not a string', { scope: 42 }, []],
  ];
  for (const [title, payload, expected] of CASES) {
    it(`${title} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(scopesOf(payload), expected);
    });
  }
});

describe('createJwtVerifier options', () => {
  const BASE: JwtVerifierOptions = { jwksUrl: 'https://auth.example.com/jwks', issuer: ISSUER, audience: RESOURCE };
  const REFUSED: [string, Partial<JwtVerifierOptions>, RegExp][] = [
    ['HS256 among the algorithms', { algorithms: ['RS256', 'HS256'] }, /JWT algorithm "HS256" is not accepted.*asymmetric only/],
    ['alg none', { algorithms: ['none'] }, /JWT algorithm "none" is not accepted/],
    ['no algorithms', { algorithms: [] }, /at least one of RS256/],
    ['an empty issuer', { issuer: ' ' }, /issuer must not be empty/],
    ['an empty audience', { audience: '' }, /audience \(resource URL\) must not be empty/],
    ['no audience', { audience: [] }, /audience \(resource URL\) must not be empty/],
    ['a relative JWKS URL', { jwksUrl: '/jwks' }, /the JWKS URL "\/jwks" is not an absolute URL/],
    ['a file: JWKS URL', { jwksUrl: 'file:///etc/jwks.json' }, /must use https/],
    ['a plain-http JWKS URL off this machine', { jwksUrl: 'http://auth.example.com/jwks' }, /the JWKS URL "http:\/\/auth.example.com\/jwks" must use https \(http is accepted for loopback hosts only\)/],
    ['a negative cooldown', { cooldownMs: -1 }, /JWT JWKS cooldown -1 is not acceptable/],
    ['a fractional timeout', { timeoutMs: 1.5 }, /JWT JWKS timeout 1.5 is not acceptable/],
    ['a NaN clock tolerance', { clockToleranceSec: Number.NaN }, /JWT clock tolerance NaN is not acceptable/],
  ];
  for (const [title, override, message] of REFUSED) {
    it(`${title} is refused at configuration time`, () => {
      assert.throws(() => createJwtVerifier({ ...BASE, ...override }), (error: unknown) => {
        assert.ok(error instanceof SidecarError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
