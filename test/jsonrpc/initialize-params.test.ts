/**
 * The initialize params checked before a session is opened: each missing or mistyped member is
 * named (the first one, in the order the spec lists them), and nothing more is required.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProblem, initializeParamsProblem } from '../../src/jsonrpc/initialize-params.js';

const GOOD = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } };

const CASES: [string, unknown, string | undefined, string?][] = [
  ['the minimum', GOOD, undefined],
  ['extra members and capabilities', { ...GOOD, capabilities: { roots: { listChanged: true } }, clientInfo: { ...GOOD.clientInfo, title: 'C' }, _meta: {} }, undefined],
  ['an unknown protocol version (the server negotiates it)', { ...GOOD, protocolVersion: '1999-01-01' }, undefined],
  ['no params', undefined, 'params', 'params must be an object (got nothing)'],
  ['params null', null, 'params', 'params must be an object (got null)'],
  ['{}', {}, 'protocolVersion', 'protocolVersion must be a string (got nothing)'],
  ['a numeric protocolVersion', { ...GOOD, protocolVersion: 20250618 }, 'protocolVersion', 'protocolVersion must be a string (got a number)'],
  ['no capabilities', { ...GOOD, capabilities: undefined }, 'capabilities'],
  ['capabilities an array', { ...GOOD, capabilities: [] }, 'capabilities', 'capabilities must be an object (got an array)'],
  ['capabilities null', { ...GOOD, capabilities: null }, 'capabilities'],
  ['no clientInfo', { ...GOOD, clientInfo: undefined }, 'clientInfo'],
  ['clientInfo a string', { ...GOOD, clientInfo: 'c' }, 'clientInfo', 'clientInfo must be an object (got a string)'],
  ['clientInfo without name', { ...GOOD, clientInfo: { version: '1' } }, 'clientInfo.name'],
  ['a numeric clientInfo.name', { ...GOOD, clientInfo: { name: 1, version: '1' } }, 'clientInfo.name', 'clientInfo.name must be a string (got a number)'],
  ['clientInfo without version', { ...GOOD, clientInfo: { name: 'c' } }, 'clientInfo.version', 'clientInfo.version must be a string (got nothing)'],
  ['everything wrong (the first is named)', { protocolVersion: 1, capabilities: 1, clientInfo: 1 }, 'protocolVersion'],
];

describe('initializeParamsProblem()', () => {
  for (const [name, params, field, message] of CASES) {
    it(field === undefined ? `accepts ${name}` : `names ${field} for ${name}`, () => {
      const problem = initializeParamsProblem(params);
      assert.equal(problem?.field, field);
      if (problem && message) assert.equal(describeProblem(problem, params), message);
    });
  }
});
