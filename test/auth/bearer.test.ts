/**
 * The Authorization header is the only place a token is taken from; every shape RFC 6750 allows
 * or forbids is in the table, with the reason the challenge is built from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBearer, type BearerResult } from '../../src/auth/bearer.js';

const TOKEN = 'abcDEF0123456789-._~+/';

const CASES: [string, string | undefined, BearerResult][] = [
  ['no header', undefined, { ok: false, reason: 'missing' }],
  ['empty header', '', { ok: false, reason: 'missing' }],
  ['whitespace only', '   ', { ok: false, reason: 'missing' }],
  ['Bearer and a token', `Bearer ${TOKEN}`, { ok: true, token: TOKEN }],
  ['lower-case scheme', `bearer ${TOKEN}`, { ok: true, token: TOKEN }],
  ['upper-case scheme', `BEARER ${TOKEN}`, { ok: true, token: TOKEN }],
  ['several spaces after the scheme', `Bearer   ${TOKEN}`, { ok: true, token: TOKEN }],
  ['surrounding whitespace', `  Bearer ${TOKEN}  `, { ok: true, token: TOKEN }],
  ['token68 padding', 'Bearer abc==', { ok: true, token: 'abc==' }],
  ['a JWT', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', { ok: true, token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln' }],
  ['Bearer alone', 'Bearer', { ok: false, reason: 'malformed' }],
  ['Bearer and a space', 'Bearer ', { ok: false, reason: 'malformed' }],
  ['two tokens', `Bearer ${TOKEN} ${TOKEN}`, { ok: false, reason: 'malformed' }],
  ['a list of credentials', `Bearer ${TOKEN}, Bearer other`, { ok: false, reason: 'malformed' }],
  ['a tab instead of a space', `Bearer\t${TOKEN}`, { ok: false, reason: 'malformed' }],
  ['padding in the middle', 'Bearer ab=c', { ok: false, reason: 'malformed' }],
  ['a quote in the token', 'Bearer ab"c', { ok: false, reason: 'malformed' }],
  ['a comma in the token', 'Bearer ab,c', { ok: false, reason: 'malformed' }],
  ['non-ASCII in the token', 'Bearer abcé', { ok: false, reason: 'malformed' }],
  ['no space after the scheme', `Bearer${TOKEN}`, { ok: false, reason: 'malformed' }],
  ['another word starting with Bearer', 'BearerToken abc', { ok: false, reason: 'unsupported-scheme' }],
  ['Basic credentials', 'Basic YWxpY2U6c2VjcmV0', { ok: false, reason: 'unsupported-scheme' }],
  ['Digest', 'Digest username="a"', { ok: false, reason: 'unsupported-scheme' }],
  ['a bare token68 with / (not a scheme name)', TOKEN, { ok: false, reason: 'malformed' }],
  ['a bare word (read as a scheme)', 'abcdef0123456789', { ok: false, reason: 'unsupported-scheme' }],
  ['garbage', '"', { ok: false, reason: 'malformed' }],
];

describe('parseBearer', () => {
  for (const [title, header, expected] of CASES) {
    it(`${title} → ${expected.ok ? 'token' : expected.reason}`, () => {
      assert.deepEqual(parseBearer(header), expected);
    });
  }
});
