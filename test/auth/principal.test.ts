/**
 * The principal is what sessions, limits and policies key on: a static token and a JWT subject
 * with the same name must never be taken for one caller.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANONYMOUS,
  createJwtPrincipal,
  createTokenPrincipal,
  isSamePrincipal,
  principalKey,
  type Principal,
} from '../../src/auth/principal.js';

describe('principals', () => {
  it('ANONYMOUS is frozen, has no scopes and no subject', () => {
    assert.deepEqual(ANONYMOUS, { name: 'anonymous', kind: 'anonymous', scopes: [] });
    assert.ok(Object.isFrozen(ANONYMOUS));
    assert.ok(Object.isFrozen(ANONYMOUS.scopes));
  });

  it('a token principal has its name and no scopes', () => {
    assert.deepEqual(createTokenPrincipal('alice'), { name: 'alice', kind: 'token', scopes: [] });
  });

  it('a JWT principal is named by its subject and keeps a frozen copy of the scopes', () => {
    const scopes = ['tools:read'];
    const principal = createJwtPrincipal('auth0|1', scopes);
    scopes.push('tools:write');
    assert.deepEqual(principal, { name: 'auth0|1', kind: 'jwt', scopes: ['tools:read'], subject: 'auth0|1' });
    assert.ok(Object.isFrozen(principal.scopes));
  });

  const SAME_CASES: [string, Principal, Principal, boolean][] = [
    ['same token name', createTokenPrincipal('alice'), createTokenPrincipal('alice'), true],
    ['other token name', createTokenPrincipal('alice'), createTokenPrincipal('bob'), false],
    ['token and JWT with one name', createTokenPrincipal('alice'), createJwtPrincipal('alice', []), false],
    ['one subject, scopes differ between tokens', createJwtPrincipal('s', ['a']), createJwtPrincipal('s', ['a', 'b']), true],
    ['anonymous and a token named anonymous', ANONYMOUS, createTokenPrincipal('anonymous'), false],
  ];
  for (const [title, a, b, same] of SAME_CASES) {
    it(`${title} → ${same ? 'same' : 'different'} caller, ${same ? 'same' : 'different'} key`, () => {
      assert.equal(isSamePrincipal(a, b), same);
      assert.equal(principalKey(a) === principalKey(b), same);
    });
  }
});
