/**
 * Challenges are what an MCP client parses to find the authorization server; values are quoted
 * once, here, and nothing a caller passes can end the header or start another one.
 */
import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import {
  buildInsufficientScopeChallenge,
  buildUnauthorizedChallenge,
  quoteParam,
} from '../../src/auth/www-authenticate.js';

const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('quoteParam', () => {
  const CASES: [string, string, string][] = [
    ['a plain value', 'files:read', '"files:read"'],
    ['an empty value', '', '""'],
    ['a double quote', 'say "hi"', '"say \\"hi\\""'],
    ['a backslash', 'a\\b', '"a\\\\b"'],
    ['CR LF (header injection)', 'x\r\nSet-Cookie: a=b', '"xSet-Cookie: a=b"'],
    ['a lone LF', 'x\ny', '"xy"'],
    ['NUL and DEL', 'a\0b\x7fc', '"abc"'],
    ['a tab', 'a\tb', '"ab"'],
    ['non-ASCII', 'café ☕', '"caf "'],
  ];
  for (const [title, value, expected] of CASES) {
    it(`${title} → ${expected}`, () => {
      assert.equal(quoteParam(value), expected);
    });
  }
});

describe('buildUnauthorizedChallenge (401)', () => {
  const CASES: [string, Parameters<typeof buildUnauthorizedChallenge>[0], string][] = [
    ['no credential: metadata only', { resourceMetadata: METADATA }, `Bearer resource_metadata="${METADATA}"`],
    [
      'no credential, with scopes (MCP: SHOULD)',
      { resourceMetadata: METADATA, scopes: ['files:read', 'files:write'] },
      `Bearer resource_metadata="${METADATA}", scope="files:read files:write"`,
    ],
    ['empty scope list: no scope parameter', { resourceMetadata: METADATA, scopes: [] }, `Bearer resource_metadata="${METADATA}"`],
    [
      'scopes deduplicated, blanks dropped',
      { resourceMetadata: METADATA, scopes: ['a', ' ', 'b', 'a'] },
      `Bearer resource_metadata="${METADATA}", scope="a b"`,
    ],
    [
      'a bad token',
      { resourceMetadata: METADATA, error: 'invalid_token', errorDescription: 'the token expired', scopes: ['files:read'] },
      `Bearer error="invalid_token", error_description="the token expired", resource_metadata="${METADATA}", scope="files:read"`,
    ],
    [
      'a bad token without description',
      { resourceMetadata: METADATA, error: 'invalid_token' },
      `Bearer error="invalid_token", resource_metadata="${METADATA}"`,
    ],
    [
      'a malformed header',
      { resourceMetadata: METADATA, error: 'invalid_request', errorDescription: 'expected Bearer <token>' },
      `Bearer error="invalid_request", error_description="expected Bearer <token>", resource_metadata="${METADATA}"`,
    ],
    [
      'a description without an error is not sent (RFC 6750: no error code, no description)',
      { resourceMetadata: METADATA, errorDescription: 'ignored' },
      `Bearer resource_metadata="${METADATA}"`,
    ],
    [
      'a description with quotes and a line break is escaped and flattened',
      { resourceMetadata: METADATA, error: 'invalid_token', errorDescription: 'unexpected "iss"\r\nX-Evil: 1' },
      `Bearer error="invalid_token", error_description="unexpected \\"iss\\" X-Evil: 1", resource_metadata="${METADATA}"`,
    ],
  ];
  for (const [title, options, expected] of CASES) {
    it(title, () => {
      assert.equal(buildUnauthorizedChallenge(options), expected);
    });
  }

  it('a long description is cut to 200 characters', () => {
    const header = buildUnauthorizedChallenge({ resourceMetadata: METADATA, error: 'invalid_token', errorDescription: 'x'.repeat(1000) });
    const description = /error_description="([^"]*)"/.exec(header)?.[1] ?? '';
    assert.equal(description.length, 200);
    assert.ok(description.endsWith('...'));
  });

  it('whatever the inputs, the header has no CR, LF or non-ASCII and is accepted by Node', () => {
    const nasty = 'a\r\nb\n"c\\d\u2028é\0';
    const header = buildUnauthorizedChallenge({ resourceMetadata: `${METADATA}${nasty}`, error: 'invalid_token', errorDescription: nasty, scopes: [nasty] });
    assert.doesNotMatch(header, /[\r\n]|[^\x20-\x7e]/);
    assert.doesNotThrow(() => validateHeaderValue('www-authenticate', header));
  });

  it('the MCP SDK client reads resource_metadata and scope back', () => {
    // The SDK extracts each field with /name=(?:"([^"]+)"|([^\s,]+))/ after checking the scheme.
    const header = buildUnauthorizedChallenge({ resourceMetadata: METADATA, scopes: ['files:read'], error: 'invalid_token', errorDescription: 'expired' });
    assert.equal(header.split(' ')[0]?.toLowerCase(), 'bearer');
    assert.equal(/resource_metadata=(?:"([^"]+)"|([^\s,]+))/.exec(header)?.[1], METADATA);
    assert.equal(/scope=(?:"([^"]+)"|([^\s,]+))/.exec(header)?.[1], 'files:read');
    assert.equal(/error=(?:"([^"]+)"|([^\s,]+))/.exec(header)?.[1], 'invalid_token');
  });
});

describe('buildInsufficientScopeChallenge (403)', () => {
  it('carries the error, the needed scopes and the metadata URL', () => {
    assert.equal(
      buildInsufficientScopeChallenge({ resourceMetadata: METADATA, scopes: ['files:read', 'files:write'] }),
      `Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="${METADATA}"`,
    );
  });

  it('with a description', () => {
    assert.equal(
      buildInsufficientScopeChallenge({ resourceMetadata: METADATA, scopes: ['tools:call'], errorDescription: 'the tool "deploy" needs tools:call' }),
      `Bearer error="insufficient_scope", scope="tools:call", resource_metadata="${METADATA}", error_description="the tool \\"deploy\\" needs tools:call"`,
    );
  });

  it('an empty scope list leaves scope out rather than sending scope=""', () => {
    assert.equal(
      buildInsufficientScopeChallenge({ resourceMetadata: METADATA, scopes: [] }),
      `Bearer error="insufficient_scope", resource_metadata="${METADATA}"`,
    );
  });
});
