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
  nowSec,
  RESOURCE,
  sign,
  startJwksServer,
  unusedUrl,
  type JwksServer,
  type SigningKey,
} from './jwt-fixtures.js';
import { waitFor } from '../helpers/poll.js';

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
    const exp = nowSec() + 300;
    const result = await verifier.verify(await sign(k1, claims({ exp })));
    assert.deepEqual(result, {
      ok: true,
      principal: { name: 'user-1', kind: 'jwt', scopes: ['tools:read', 'tools:call'], subject: 'user-1' },
      expiresAtMs: exp * 1000,
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

    it('a JWKS that comes back is used once the retry delay has passed', async () => {
      const local = await startJwksServer([k1.jwk]);
      local.setBehaviour('status-500');
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url, retryMinMs: 300 });
        expectFailure(await verifier.verify(await sign(k1)), 'jwks-unavailable');
        local.setBehaviour('serve');
        // Within the delay the failure is remembered: no fetch, still unavailable.
        const early = await verifier.verify(await sign(k1));
        expectFailure(early, 'jwks-unavailable');
        if (!early.ok) assert.match(early.detail, /Expected 200 OK.*not fetched again/);
        assert.equal(local.fetches, 1);
        const result = await waitFor(async () => {
          const verified = await verifier.verify(await sign(k1));
          return verified.ok && verified;
        }, { timeoutMs: 5000, what: 'the JWKS to be fetched again' });
        assert.equal(result.ok, true);
        assert.equal(local.fetches, 2);
      } finally {
        await local.close();
      }
    });
  });

  describe('a failing authorization server is not hammered', () => {
    it('answering 500: 200 tokens in a row cause one fetch per retry delay, not 200', async () => {
      const local = await startJwksServer([k1.jwk]);
      local.setBehaviour('status-500');
      const outcomes: string[] = [];
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url, onJwksFetch: (outcome) => outcomes.push(outcome) });
        const token = await sign(k1);
        for (let i = 0; i < 200; i += 1) expectFailure(await verifier.verify(token), 'jwks-unavailable', token);
        // 200 tokens take well under the first 1 s delay: one fetch (two if the machine is very slow).
        assert.ok(local.fetches >= 1 && local.fetches <= 2, `${local.fetches} fetches`);
        assert.deepEqual(outcomes, Array.from({ length: local.fetches }, () => 'error'));
      } finally {
        await local.close();
      }
    });

    it('the delay doubles with each failure in a row and a success resets it', async () => {
      const local = await startJwksServer([k1.jwk]);
      local.setBehaviour('not-json');
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url, retryMinMs: 200, retryMaxMs: 10_000 });
        const token = await sign(k1);
        const fetchedAt: number[] = [];
        const start = Date.now();
        // Keep asking until three fetches have happened: at 0, then ≥ 200 ms later, then ≥ 400 ms after that.
        await waitFor(async () => {
          const before = local.fetches;
          // Stamped when asked: a fetch starts then, and the delay runs from its failure, later still.
          const askedAt = Date.now() - start;
          expectFailure(await verifier.verify(token), 'jwks-unavailable');
          if (local.fetches > before) fetchedAt.push(askedAt);
          return fetchedAt.length === 3;
        }, { timeoutMs: 5000, intervalMs: 10, what: 'three fetches' });
        assert.ok(fetchedAt[1]! - fetchedAt[0]! >= 190, `first delay ${fetchedAt[1]! - fetchedAt[0]!} ms`);
        assert.ok(fetchedAt[2]! - fetchedAt[1]! >= 390, `second delay ${fetchedAt[2]! - fetchedAt[1]!} ms`);
        // Back up: after the current delay one fetch succeeds; then the keys are cached.
        local.setBehaviour('serve');
        await waitFor(async () => (await verifier.verify(token)).ok, { timeoutMs: 5000, what: 'a good fetch' });
        const fetches = local.fetches;
        for (let i = 0; i < 10; i += 1) assert.equal((await verifier.verify(token)).ok, true);
        assert.equal(local.fetches, fetches);
      } finally {
        await local.close();
      }
    });

    it('hanging: concurrent tokens share one fetch and one wait; the next wave fails at once', async () => {
      const local = await startJwksServer([k1.jwk]);
      local.setBehaviour('hang');
      const outcomes: string[] = [];
      try {
        const verifier = createJwtVerifier({ ...options, jwksUrl: local.url, timeoutMs: 500, onJwksFetch: (outcome) => outcomes.push(outcome) });
        const token = await sign(k1);
        const started = Date.now();
        const wave = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
        const waited = Date.now() - started;
        for (const result of wave) expectFailure(result, 'jwks-unavailable', token);
        assert.equal(local.fetches, 1);
        assert.ok(waited >= 450 && waited < 3000, `the wave waited ${waited} ms`);
        const next = Date.now();
        const second = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
        for (const result of second) {
          expectFailure(result, 'jwks-unavailable', token);
          if (!result.ok) assert.match(result.detail, /timed out/);
        }
        assert.ok(Date.now() - next < 400, `the second wave took ${Date.now() - next} ms`);
        assert.equal(local.fetches, 1);
        assert.deepEqual(outcomes, ['timeout']);
      } finally {
        await local.close();
      }
    });
  });

});
