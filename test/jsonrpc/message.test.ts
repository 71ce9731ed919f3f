/**
 * JSON-RPC classification is what the relay routes on: every line from a child and every POST body
 * goes through classify()/parseLine() once, so each shape the spec allows or forbids is in a table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classify,
  isNotification,
  isRequest,
  isResponse,
  parseLine,
  progressTokenOf,
  type JsonRpcRequest,
  type MessageKind,
} from '../../src/jsonrpc/message.js';

const CLASSIFY_CASES: [string, unknown, MessageKind | undefined][] = [
  // Requests
  ['request with a number id', { jsonrpc: '2.0', id: 1, method: 'ping' }, 'request'],
  ['request with a string id', { jsonrpc: '2.0', id: 'abc', method: 'tools/call', params: { name: 'echo' } }, 'request'],
  ['request with id 0', { jsonrpc: '2.0', id: 0, method: 'ping' }, 'request'],
  ['request with array params', { jsonrpc: '2.0', id: 1, method: 'sum', params: [1, 2] }, 'request'],
  // Notifications
  ['notification', { jsonrpc: '2.0', method: 'notifications/initialized' }, 'notification'],
  ['notification with params', { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } }, 'notification'],
  // Responses
  ['result response', { jsonrpc: '2.0', id: 1, result: {} }, 'response'],
  ['result response with a null result', { jsonrpc: '2.0', id: 'x', result: null }, 'response'],
  ['error response', { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } }, 'response'],
  ['error response with id null', { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }, 'response'],
  ['result response with id null', { jsonrpc: '2.0', id: null, result: {} }, 'response'],
  // Not JSON-RPC 2.0
  ['jsonrpc missing', { id: 1, method: 'ping' }, undefined],
  ['jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'ping' }, undefined],
  ['jsonrpc as a number', { jsonrpc: 2.0, id: 1, method: 'ping' }, undefined],
  ['both result and error', { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } }, undefined],
  ['neither result nor error', { jsonrpc: '2.0', id: 1 }, undefined],
  ['response without an id', { jsonrpc: '2.0', result: {} }, undefined],
  ['error that is not an object', { jsonrpc: '2.0', id: 1, error: 'bad' }, undefined],
  ['error that is null', { jsonrpc: '2.0', id: 1, error: null }, undefined],
  ['error without a numeric code', { jsonrpc: '2.0', id: 1, error: { code: '1', message: 'x' } }, undefined],
  ['params a string', { jsonrpc: '2.0', id: 1, method: 'ping', params: 'x' }, undefined],
  ['params null', { jsonrpc: '2.0', id: 1, method: 'ping', params: null }, undefined],
  ['notification with params a number', { jsonrpc: '2.0', method: 'n', params: 5 }, undefined],
  ['request id an object', { jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }, undefined],
  ['request id a boolean', { jsonrpc: '2.0', id: true, method: 'ping' }, undefined],
  ['request id null', { jsonrpc: '2.0', id: null, method: 'ping' }, undefined],
  ['request id NaN', { jsonrpc: '2.0', id: NaN, method: 'ping' }, undefined],
  ['response id an object', { jsonrpc: '2.0', id: {}, result: {} }, undefined],
  ['response id a boolean', { jsonrpc: '2.0', id: false, result: {} }, undefined],
  ['method not a string', { jsonrpc: '2.0', id: 1, method: 7 }, undefined],
  ['an array (batch)', [{ jsonrpc: '2.0', id: 1, method: 'ping' }], undefined],
  ['null', null, undefined],
  ['a string', 'ping', undefined],
  ['a number', 42, undefined],
];

describe('classify', () => {
  for (const [name, value, expected] of CLASSIFY_CASES) {
    it(`${name} → ${expected ?? 'not JSON-RPC'}`, () => {
      assert.equal(classify(value), expected);
    });
  }
});

describe('parseLine', () => {
  const LINE_CASES: [string, string, MessageKind | undefined][] = [
    ['a request', '{"jsonrpc":"2.0","id":1,"method":"ping"}', 'request'],
    ['a notification', '{"jsonrpc":"2.0","method":"notifications/initialized"}', 'notification'],
    ['a result', '{"jsonrpc":"2.0","id":"a","result":{"ok":true}}', 'response'],
    ['an error with id null', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}', 'response'],
    ['JSON-RPC 1.0', '{"jsonrpc":"1.0","id":1,"method":"ping"}', undefined],
    ['not JSON', 'Server starting on stdio...', undefined],
    ['truncated JSON', '{"jsonrpc":"2.0","id":1,"meth', undefined],
    ['an empty line', '', undefined],
    ['a JSON string', '"hello"', undefined],
    ['a JSON null', 'null', undefined],
  ];
  for (const [name, line, expected] of LINE_CASES) {
    it(`${name} → ${expected ?? 'undefined'}`, () => {
      assert.equal(parseLine(line)?.kind, expected);
    });
  }

  it('keeps the exact text it parsed, spacing and key order included', () => {
    const raw = '{ "id": 7,  "method": "tools/list", "jsonrpc": "2.0" }';
    const framed = parseLine(raw);
    assert.ok(framed);
    assert.equal(framed.raw, raw);
    assert.deepEqual(framed.message, { jsonrpc: '2.0', id: 7, method: 'tools/list' });
  });

  it('narrows with isRequest, isResponse and isNotification', () => {
    const request = parseLine('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const response = parseLine('{"jsonrpc":"2.0","id":1,"result":{}}');
    const notification = parseLine('{"jsonrpc":"2.0","method":"x"}');
    assert.ok(request && response && notification);
    assert.deepEqual([isRequest(request), isResponse(request), isNotification(request)], [true, false, false]);
    assert.deepEqual([isRequest(response), isResponse(response), isNotification(response)], [false, true, false]);
    assert.deepEqual([isRequest(notification), isResponse(notification), isNotification(notification)], [false, false, true]);
  });
});

describe('progressTokenOf', () => {
  const request = (params?: Record<string, unknown>): JsonRpcRequest => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params });
  const CASES: [string, JsonRpcRequest, string | number | undefined][] = [
    ['a number token', request({ _meta: { progressToken: 5 } }), 5],
    ['a string token', request({ _meta: { progressToken: 'tok-1' } }), 'tok-1'],
    ['token 0', request({ _meta: { progressToken: 0 } }), 0],
    ['no params', request(), undefined],
    ['params without _meta', request({ name: 'slow' }), undefined],
    ['_meta without a token', request({ _meta: {} }), undefined],
    ['an object token', request({ _meta: { progressToken: { a: 1 } } }), undefined],
    ['a boolean token', request({ _meta: { progressToken: true } }), undefined],
    ['a null token', request({ _meta: { progressToken: null } }), undefined],
  ];
  for (const [name, input, expected] of CASES) {
    it(`${name} → ${expected ?? 'undefined'}`, () => {
      assert.equal(progressTokenOf(input), expected);
    });
  }
});
