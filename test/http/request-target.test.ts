/**
 * The request target's path and authority (RFC 9112 §3.2), table by table: origin form, absolute
 * form, and what is neither.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorityOf, lacksHost, pathOf } from '../../src/http/request-target.js';

describe('pathOf', () => {
  const cases: [string | undefined, string][] = [
    [undefined, '/'],
    ['', '/'],
    ['/mcp', '/mcp'],
    ['/messages?sessionId=abc', '/messages'],
    ['http://127.0.0.1:8080/mcp', '/mcp'],
    ['HTTPS://localhost/mcp?x=1', '/mcp'],
    ['http://127.0.0.1:8080', '/'],
    ['http://127.0.0.1:8080?x', '/'],
    ['*', '*'],
    ['ftp://127.0.0.1/mcp', 'ftp://127.0.0.1/mcp'],
  ];
  for (const [url, path] of cases) it(`reads ${JSON.stringify(url)} as ${path}`, () => assert.equal(pathOf(url), path));
});

describe('authorityOf', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['/mcp', '127.0.0.1:8080', '127.0.0.1:8080'],
    ['/mcp', undefined, undefined],
    ['http://rebound.example/mcp', '127.0.0.1', 'rebound.example'],
    ['http://127.0.0.1:9/mcp', 'rebound.example', '127.0.0.1:9'],
    ['http://[::1]:9/mcp?x', undefined, '[::1]:9'],
    ['http://me@rebound.example/mcp', '127.0.0.1', 'me@rebound.example'],
  ];
  for (const [url, host, authority] of cases) {
    it(`reads ${url} with Host ${String(host)} as addressed to ${String(authority)}`, () => {
      assert.equal(authorityOf({ url, headers: host === undefined ? {} : { host } }), authority);
    });
  }
});

describe('lacksHost', () => {
  it('is true of HTTP/1.1 without Host only', () => {
    assert.equal(lacksHost({ httpVersion: '1.1', headers: {} }), true);
    assert.equal(lacksHost({ httpVersion: '1.1', headers: { host: '' } }), false);
    assert.equal(lacksHost({ httpVersion: '1.0', headers: {} }), false);
  });
});
