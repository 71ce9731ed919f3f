/**
 * The authentication matrix on Streamable HTTP, against a JWKS the test serves on loopback: no
 * token, a token the daemon cannot accept (garbage, forged, expired, not yet valid, another issuer,
 * another audience), a token without a required scope (403), and a valid one that works end to
 * end with the SDK's client. Sessions are bound to their principal: another principal's session
 * id is answered as unknown, on POST, GET and DELETE, and logged at warn. A refusal spawns nothing,
 * and no token ever appears in a log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSigningKey, nowSec } from '../auth/jwt-fixtures.js';
import { rawRequest } from '../helpers/http.js';
import { textOf } from '../helpers/mcp-client.js';
import { assertNothingLogged, assertWireError, bearer, connectAs, initializeAs, metric, newToken, postAs } from './auth-helpers.js';
import { JwtDaemon, METADATA_URL } from './jwt-daemon.js';

const CHALLENGE = `Bearer resource_metadata="${METADATA_URL}", scope="tools:call"`;
const CROSS_PRINCIPAL = 'session id presented by another principal: answered as not found';

describe('the authentication matrix (JWT access tokens)', () => {
  let setup: JwtDaemon;
  let url: string;
  /** A static token whose name equals a JWT subject: still another principal. */
  const staticToken = newToken('user-1');

  before(async () => {
    setup = await JwtDaemon.start({ requiredScopes: 'tools:call', env: { MCP_SIDECAR_AUTH_TOKENS: `user-1:${staticToken}` } });
    url = setup.daemon.url;
  });
  after(async () => {
    await setup?.close();
  });

  it('refuses a request without a token: 401 UNAUTHORIZED with the resource metadata challenge', async () => {
    const response = await initializeAs(url, undefined);
    const body = assertWireError(response, 401, 'UNAUTHORIZED');
    assert.equal(body.id, null);
    assert.equal(response.headers.get('www-authenticate'), CHALLENGE);
    // Another scheme is a missing bearer credential too: no error code in the challenge.
    const basic = await initializeAs(url, undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    assertWireError(basic, 401, 'UNAUTHORIZED');
    assert.equal(basic.headers.get('www-authenticate'), CHALLENGE);
  });

  it('refuses every token it cannot accept with 401 INVALID_TOKEN and error="invalid_token", spawning nothing', async () => {
    const started = await metric(setup.daemon, 'mcp_sidecar_sessions_started_total');
    const stranger = await createSigningKey(setup.key.kid); // Same kid, another key: a forged signature.
    const garbage = 'not-a-jwt-just-some-opaque-characters';
    setup.issued.push(garbage);
    const cases: [string, string][] = [
      ['garbage', garbage],
      ['forged signature', await setup.token('user-1', {}, stranger)],
      ['expired', await setup.token('user-1', { iat: nowSec() - 3600, exp: nowSec() - 600 })],
      ['not yet valid', await setup.token('user-1', { nbf: nowSec() + 600 })],
      ['another issuer', await setup.token('user-1', { iss: 'https://evil.example.com/' })],
      ['another audience', await setup.token('user-1', { aud: 'https://other.example.com/mcp' })],
    ];
    for (const [what, token] of cases) {
      const response = await initializeAs(url, token);
      assertWireError(response, 401, 'INVALID_TOKEN');
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer error="invalid_token", /, `${what}: ${challenge}`);
      assert.ok(challenge.includes(`resource_metadata="${METADATA_URL}"`), `${what}: ${challenge}`);
      assert.ok(challenge.includes('scope="tools:call"'), `${what}: ${challenge}`);
    }
    const malformed = await initializeAs(url, undefined, { authorization: 'Bearer two tokens' });
    assertWireError(malformed, 401, 'INVALID_TOKEN');
    assert.match(malformed.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_request"/);
    assert.equal(await metric(setup.daemon, 'mcp_sidecar_sessions_started_total'), started, 'a refused request started a session');
  });

  it('answers a valid token without a required scope with 403 INSUFFICIENT_SCOPE', async () => {
    const response = await initializeAs(url, await setup.token('user-1', { scope: 'tools:read' }));
    assertWireError(response, 403, 'INSUFFICIENT_SCOPE');
    const challenge = response.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer error="insufficient_scope", scope="tools:call", /);
    assert.ok(challenge.includes(`resource_metadata="${METADATA_URL}"`), challenge);
  });

  it('serves a valid token end to end with the SDK client', async () => {
    const alice = await connectAs(url, await setup.token('user-1'));
    try {
      assert.equal(textOf(await alice.client.callTool({ name: 'echo', arguments: { text: 'through the gate' } })), 'through the gate');
      const tools = await alice.client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === 'env'));
    } finally {
      await alice.close();
    }
  });

  it("answers another principal's session id as not found (404), on POST, GET and DELETE, and logs it at warn", async () => {
    const alice = await connectAs(url, await setup.token('user-1'));
    try {
      const sessionId = alice.transport.sessionId ?? assert.fail('no session id');
      const bob = await setup.token('user-2');
      const ping = { jsonrpc: '2.0', id: 7, method: 'ping' };
      assertWireError(await postAs(url, bob, sessionId, ping), 404, 'SESSION_NOT_FOUND');
      const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', ...bearer(bob) };
      assertWireError(await rawRequest(url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' } }), 404, 'SESSION_NOT_FOUND');
      assertWireError(await rawRequest(url, { method: 'DELETE', headers }), 404, 'SESSION_NOT_FOUND');
      // A static token named like the JWT's subject is another caller.
      assertWireError(await postAs(url, staticToken, sessionId, ping), 404, 'SESSION_NOT_FOUND');
      // Without a token at all, the gate answers first.
      assertWireError(await postAs(url, undefined, sessionId, ping), 401, 'UNAUTHORIZED');

      const warned = await setup.daemon.waitForLog((line) => line.msg === CROSS_PRINCIPAL && line.presentedBy === 'user-2');
      assert.equal(warned.level, 'warn');
      assert.equal(warned.sessionId, sessionId);
      await setup.daemon.waitForLog((line) => line.msg === CROSS_PRINCIPAL && line.presentedBy === 'user-1' && line.principalKind === 'token');

      // The session is untouched, and a new token of the same subject reaches it.
      assert.equal(textOf(await alice.client.callTool({ name: 'echo', arguments: { text: 'still mine' } })), 'still mine');
      const again = await postAs(url, await setup.token('user-1'), sessionId, ping);
      assert.equal(again.status, 200, again.text);
    } finally {
      await alice.close();
    }
  });

  it('never logs a token', async () => {
    await assertNothingLogged(setup.daemon, [...setup.issued, staticToken]);
    assert.ok(setup.daemon.logs.some((line) => line.msg === 'request not authenticated' && line.reason === 'INVALID_TOKEN'), 'refusals were not logged');
  });
});
