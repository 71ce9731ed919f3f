/**
 * RFC 9728 metadata: the document MCP clients discover the authorization server from, and the
 * well-known URL it lives at (suffix between host and path, §3.1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildProtectedResourceMetadata,
  parseResourceUrl,
  wellKnownMetadataPath,
  wellKnownMetadataUrl,
} from '../../src/auth/protected-resource.js';
import { SidecarError } from '../../src/errors/local.js';

describe('parseResourceUrl: the canonical resource identifier', () => {
  const CASES: [string, string][] = [
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com/', 'https://mcp.example.com'],
    ['HTTPS://MCP.Example.COM/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:8443', 'https://mcp.example.com:8443'],
    ['https://mcp.example.com/server/mcp', 'https://mcp.example.com/server/mcp'],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp/'],
    [' https://mcp.example.com/mcp ', 'https://mcp.example.com/mcp'],
    ['http://127.0.0.1:8808/mcp', 'http://127.0.0.1:8808/mcp'],
    ['http://localhost:8808/mcp', 'http://localhost:8808/mcp'],
    ['http://[::1]:8808/mcp', 'http://[::1]:8808/mcp'],
  ];
  for (const [raw, expected] of CASES) {
    it(`${JSON.stringify(raw)} → ${expected}`, () => {
      assert.equal(parseResourceUrl(raw), expected);
    });
  }

  const REFUSED: [string, RegExp][] = [
    ['mcp.example.com', /is not an absolute URL/],
    ['/mcp', /is not an absolute URL/],
    ['http://mcp.example.com/mcp', /must use https \(http is accepted for loopback hosts only\)/],
    ['ftp://mcp.example.com/mcp', /must use https/],
    ['https://mcp.example.com/mcp#frag', /must not have a fragment/],
    ['https://mcp.example.com/mcp#', /must not have a fragment/],
    ['https://mcp.example.com/mcp?tenant=a', /must not have a query/],
    ['https://user:pw@mcp.example.com/mcp', /must not carry credentials/],
  ];
  for (const [raw, message] of REFUSED) {
    it(`${JSON.stringify(raw)} is refused`, () => {
      assert.throws(() => parseResourceUrl(raw), (error: unknown) => {
        assert.ok(error instanceof SidecarError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('wellKnownMetadataUrl (RFC 9728 §3.1)', () => {
  const CASES: [string, string][] = [
    ['https://h/mcp', 'https://h/.well-known/oauth-protected-resource/mcp'],
    ['https://mcp.example.com/public/mcp', 'https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp'],
    ['https://mcp.example.com', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
    ['https://mcp.example.com/', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
    ['https://mcp.example.com:8443/mcp', 'https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp'],
    ['http://127.0.0.1:8808/mcp', 'http://127.0.0.1:8808/.well-known/oauth-protected-resource/mcp'],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp/'],
  ];
  for (const [resource, expected] of CASES) {
    it(`${resource} → ${expected}`, () => {
      assert.equal(wellKnownMetadataUrl(resource), expected);
      assert.equal(wellKnownMetadataPath(resource), new URL(expected).pathname);
    });
  }

  it('matches what the MCP SDK computes for the same server URL', async () => {
    const { getOAuthProtectedResourceMetadataUrl } = await import('@modelcontextprotocol/sdk/server/auth/router.js');
    for (const resource of ['https://h/mcp', 'https://h', 'https://h:8443/a/b']) {
      assert.equal(wellKnownMetadataUrl(resource), getOAuthProtectedResourceMetadataUrl(new URL(resource)));
    }
  });
});

describe('buildProtectedResourceMetadata', () => {
  it('the minimal document', () => {
    assert.deepEqual(
      buildProtectedResourceMetadata({ resource: 'https://mcp.example.com/mcp', authorizationServers: ['https://auth.example.com'] }),
      {
        resource: 'https://mcp.example.com/mcp',
        authorization_servers: ['https://auth.example.com'],
        bearer_methods_supported: ['header'],
      },
    );
  });

  it('the full document, with the resource made canonical and issuers kept exactly as written', () => {
    assert.deepEqual(
      buildProtectedResourceMetadata({
        resource: 'HTTPS://MCP.example.com/',
        authorizationServers: ['https://tenant.auth0.com/', 'https://auth.example.com/realms/a', 'https://tenant.auth0.com/'],
        scopesSupported: ['files:read', ' files:write ', 'files:read', ''],
        resourceDocumentation: 'https://docs.example.com/mcp',
        resourceName: ' Example MCP ',
      }),
      {
        resource: 'https://mcp.example.com',
        authorization_servers: ['https://tenant.auth0.com/', 'https://auth.example.com/realms/a'],
        bearer_methods_supported: ['header'],
        scopes_supported: ['files:read', 'files:write'],
        resource_documentation: 'https://docs.example.com/mcp',
        resource_name: 'Example MCP',
      },
    );
  });

  it('serialises to the RFC 9728 member names', () => {
    const json = JSON.parse(JSON.stringify(buildProtectedResourceMetadata({
      resource: 'https://h/mcp', authorizationServers: ['https://as'], scopesSupported: ['s'],
    }))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['authorization_servers', 'bearer_methods_supported', 'resource', 'scopes_supported']);
  });

  const REFUSED: [string, Parameters<typeof buildProtectedResourceMetadata>[0], RegExp][] = [
    ['no authorization server', { resource: 'https://h/mcp', authorizationServers: [] }, /at least one authorization server/],
    ['an http issuer', { resource: 'https://h/mcp', authorizationServers: ['http://auth.example.com'] }, /the authorization server "http:\/\/auth.example.com" must use https/],
    ['an issuer with a query', { resource: 'https://h/mcp', authorizationServers: ['https://as/?x=1'] }, /must not have a query/],
    ['a bad resource', { resource: 'https://h/mcp#x', authorizationServers: ['https://as'] }, /the resource URL "https:\/\/h\/mcp#x" must not have a fragment/],
    ['a scope with a space inside', { resource: 'https://h/mcp', authorizationServers: ['https://as'], scopesSupported: ['a b'] }, /scope "a b" has a character/],
    ['a scope with a quote', { resource: 'https://h/mcp', authorizationServers: ['https://as'], scopesSupported: ['a"b'] }, /has a character a scope cannot contain/],
    ['a documentation URL that is not http', { resource: 'https://h/mcp', authorizationServers: ['https://as'], resourceDocumentation: 'javascript:alert(1)' }, /not an http\(s\) URL/],
  ];
  for (const [title, options, message] of REFUSED) {
    it(`${title} is refused`, () => {
      assert.throws(() => buildProtectedResourceMetadata(options), message);
    });
  }

  it('a loopback http issuer is accepted (a local authorization server while testing)', () => {
    const metadata = buildProtectedResourceMetadata({ resource: 'http://127.0.0.1:8808/mcp', authorizationServers: ['http://localhost:9000'] });
    assert.deepEqual(metadata.authorization_servers, ['http://localhost:9000']);
  });
});
