/**
 * The JWKS side of JWT verification, against a real endpoint on 127.0.0.1 that counts fetches:
 * keys are fetched once and cached, concurrent first tokens share one fetch, a rotated-in key is
 * picked up by one refetch, the cooldown stops made-up key ids from hammering the authorization
 * server, and an unavailable JWKS is a reason of its own (503, not 401), never a throw.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJwtVerifier, type JwtVerifierOptions } from '../../src/auth/jwt-verifier.js';
import {
  claims,
  createSigningKey,
  expectFailure,
  ISSUER,
  RESOURCE,
  sign,
  startJwksServer,
  unusedUrl,
  type JwksServer,
  type SigningKey,
} from './jwt-fixtures.js';

describe('createJwtVerifier: the JWKS', () => {
  let server: JwksServer;
  let k1: SigningKey;
  let k2: SigningKey;
  let options: JwtVerifierOptions;

  before(async () => {
    [k1, k2] = await Promise.all([createSigningKey('k1'), createSigningKey('k2')]);
    server = await startJwksServer([k1.jwk]);
    options = { jwksUrl: server.url, issuer: ISSUER, audience: RESOURCE };
  });
  after(async () => {
    await server.close();
  });

  it('the JWKS is fetched on the first token, then cached', async () => {
    const verifier = createJwtVerifier(options);
    const before = server.fetches;
    const result = await verifier.verify(await sign(k1));
    assert.deepEqual(result, {
      ok: true,
      principal: { name: 'user-1', kind: 'jwt', scopes: ['tools:read', 'tools:call'], subject: 'user-1' },
    });
    assert.equal(server.fetches, before + 1);
    // Cached: more tokens, no more fetches.
    for (let i = 0; i < 5; i += 1) assert.equal((await verifier.verify(await sign(k1, claims({ sub: `user-${i}` })))).ok, true);
    assert.equal(server.fetches, before + 1);
  });

  it('concurrent first verifications share one fetch', async () => {
    const verifier = createJwtVerifier(options);
    const before = server.fetches;
    const token = await sign(k1);
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    assert.ok(results.every((result) => result.ok));
    assert.equal(server.fetches, before + 1);
  });

  it('the verifier does not fetch until the first token arrives', () => {
    const before = server.fetches;
    createJwtVerifier(options);
    assert.equal(server.fetches, before);
  });

  describe('key rotation and the refetch cooldown', () => {
    it('a token signed by a key added after the first fetch is accepted after one refetch', async () => {
      const local = await startJwksServer([k1.jwk]);
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url, cooldownMs: 0 });
        assert.equal((await verifier.verify(await sign(k1))).ok, true);
        assert.equal(local.fetches, 1);
        local.setKeys([k1.jwk, k2.jwk]);
        const result = await verifier.verify(await sign(k2));
        assert.equal(result.ok, true, result.ok ? '' : `${result.reason}: ${result.detail}`);
        assert.equal(local.fetches, 2);
        // Both keys are now cached.
        assert.equal((await verifier.verify(await sign(k1))).ok, true);
        assert.equal((await verifier.verify(await sign(k2))).ok, true);
        assert.equal(local.fetches, 2);
      } finally {
        await local.close();
      }
    });

    it('a key that is still unknown after the refetch → unknown-key', async () => {
      const local = await startJwksServer([k1.jwk]);
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url, cooldownMs: 0 });
        const token = await sign(k2);
        expectFailure(await verifier.verify(token), 'unknown-key', token);
        assert.equal(local.fetches, 2); // the first fetch, then one refetch for the unknown kid
      } finally {
        await local.close();
      }
    });

    it('within the cooldown, made-up kids cause no refetch at all', async () => {
      const local = await startJwksServer([k1.jwk]);
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url }); // default cooldown: 30 s
        assert.equal((await verifier.verify(await sign(k1))).ok, true);
        local.setKeys([k1.jwk, k2.jwk]);
        for (let i = 0; i < 20; i += 1) {
          expectFailure(await verifier.verify(await sign(k1, claims(), { kid: `made-up-${i}` })), 'unknown-key');
        }
        expectFailure(await verifier.verify(await sign(k2)), 'unknown-key');
        assert.equal(local.fetches, 1);
      } finally {
        await local.close();
      }
    });
  });

  describe('an unavailable JWKS', () => {
    it('nothing listening → jwks-unavailable, with the connection error in the detail', async () => {
      const url = await unusedUrl();
      const token = await sign(k1);
      const result = await createJwtVerifier({ ...options, jwksUrl: url }).verify(token);
      expectFailure(result, 'jwks-unavailable', token);
      if (!result.ok) assert.match(result.detail, /ECONNREFUSED/);
    });

    const BEHAVIOURS = [
      ['answers 500', 'status-500', /Expected 200 OK/],
      ['answers something that is not JSON', 'not-json', /JSON/],
      ['answers JSON that is not a key set', 'not-a-key-set', /JSON Web Key Set malformed/],
    ] as const;
    for (const [title, behaviour, detail] of BEHAVIOURS) {
      it(`the JWKS ${title} → jwks-unavailable`, async () => {
        const local = await startJwksServer([k1.jwk]);
        local.setBehaviour(behaviour);
        try {
          const result = await createJwtVerifier({ ...options, jwksUrl: local.url }).verify(await sign(k1));
          expectFailure(result, 'jwks-unavailable');
          if (!result.ok) assert.match(result.detail, detail);
        } finally {
          await local.close();
        }
      });
    }

    it('the JWKS does not answer within timeoutMs → jwks-unavailable (timed out)', async () => {
      const local = await startJwksServer([k1.jwk]);
      local.setBehaviour('hang');
      try {
        const result = await createJwtVerifier({ ...options, jwksUrl: local.url, timeoutMs: 100 }).verify(await sign(k1));
        expectFailure(result, 'jwks-unavailable');
        if (!result.ok) assert.match(result.detail, /timed out/);
      } finally {
        await local.close();
      }
    });

    it('a JWKS that comes back is used on the next token', async () => {
      const local = await startJwksServer([k1.jwk]);
      local.setBehaviour('status-500');
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url });
        expectFailure(await verifier.verify(await sign(k1)), 'jwks-unavailable');
        local.setBehaviour('serve');
        assert.equal((await verifier.verify(await sign(k1))).ok, true);
      } finally {
        await local.close();
      }
    });
  });

});
