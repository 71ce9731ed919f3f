/**
 * Which ids a client may use (idProblem) and which an answer may carry back (representableId): a
 * table of the edges, since each wrong answer here is a request the child never answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idProblem, MAX_ID_LENGTH, representableId } from '../../src/jsonrpc/request-id.js';

const ACCEPTED: [string, unknown][] = [
  ['0', 0],
  ['a negative integer', -7],
  ['2^53−1', Number.MAX_SAFE_INTEGER],
  ['−(2^53−1)', Number.MIN_SAFE_INTEGER],
  ['an empty string', ''],
  [`a string of ${MAX_ID_LENGTH}`, 'x'.repeat(MAX_ID_LENGTH)],
  ['a numeric string', '12345678901234567890'],
];

const REFUSED: [string, unknown, RegExp][] = [
  ['a fraction', 1.5, /not an integer/],
  ['1e300', 1e300, /outside/],
  ['12345678901234567890 as JSON.parse reads it', JSON.parse('12345678901234567890'), /outside/],
  ['2^53', 2 ** 53, /outside/],
  ['−(2^53)', -(2 ** 53), /outside/],
  ['NaN', Number.NaN, /not an integer/],
  ['Infinity', Number.POSITIVE_INFINITY, /not an integer/],
  [`a string of ${MAX_ID_LENGTH + 1}`, 'x'.repeat(MAX_ID_LENGTH + 1), /at most 256 characters, this one has 257/],
  ['true', true, /not a boolean/],
  ['null', null, /not null/],
  ['an object', { a: 1 }, /not an object/],
  ['an array', [1], /not an array/],
];

describe('idProblem()', () => {
  for (const [name, id] of ACCEPTED) {
    it(`accepts ${name}`, () => {
      assert.equal(idProblem(id), undefined);
      assert.equal(representableId(id), id);
    });
  }
  for (const [name, id, why] of REFUSED) {
    it(`refuses ${name}, saying why`, () => {
      assert.match(idProblem(id) ?? 'accepted', why);
      assert.equal(representableId(id), null);
    });
  }
});
