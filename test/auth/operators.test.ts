/** --status-operators: which principals see every session in /status. A table per rule. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOperatorEntry, Operators } from '../../src/auth/operators.js';
import { ANONYMOUS, createJwtPrincipal, createTokenPrincipal, type Principal } from '../../src/auth/principal.js';

describe('isOperatorEntry', () => {
  const CASES: [string, boolean][] = [
    ['ops', true],
    ['ops.team@example', true],
    ['sub:auth0|64f1c2', true],
    ['scope:mcp:admin', true],
    ['sub:', false],
    ['scope:', false],
    ['two words', false],
    ['-ops', false],
    ['other:ops', false],
  ];
  for (const [entry, accepted] of CASES) {
    it(`${JSON.stringify(entry)} → ${accepted}`, () => assert.equal(isOperatorEntry(entry), accepted));
  }
});

describe('Operators.includes', () => {
  const operators = new Operators(['ops', 'sub:auth0|admin', 'scope:mcp:admin']);
  const CASES: [string, Principal, boolean][] = [
    ['the token named ops', createTokenPrincipal('ops'), true],
    ['another token', createTokenPrincipal('alice'), false],
    ['a JWT whose subject is the token name ops', createJwtPrincipal('ops', []), false],
    ['the JWT subject listed', createJwtPrincipal('auth0|admin', []), true],
    ['a token named like the listed subject', createTokenPrincipal('auth0|admin'), false],
    ['a JWT with the listed scope', createJwtPrincipal('auth0|bob', ['mcp:tools', 'mcp:admin']), true],
    ['a JWT without it', createJwtPrincipal('auth0|bob', ['mcp:tools']), false],
    ['anonymous', ANONYMOUS, false],
  ];
  for (const [what, principal, expected] of CASES) {
    it(`${what} → ${expected}`, () => assert.equal(operators.includes(principal), expected));
  }

  it('names nobody when empty', () => {
    assert.equal(new Operators([]).includes(createTokenPrincipal('ops')), false);
  });
});
