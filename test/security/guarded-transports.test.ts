/**
 * Every transport passes the same gate. Legacy SSE (the stream and the messages endpoint) and
 * the WebSocket upgrade get the same 401 as Streamable HTTP, with the same challenge; the upgrade
 * is refused with an HTTP answer before it happens. A valid token opens each of them, and a legacy
 * session is bound to its principal like any other. The protected resource metadata, /healthz,
 * /readyz and (by default) /metrics stay open.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { nowSec } from '../auth/jwt-fixtures.js';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { openSse } from '../helpers/sse.js';
import { assertNothingLogged, assertWireError, bearer, upgradeWs, type ErrorBody } from './auth-helpers.js';
import { ISSUER, JwtDaemon, METADATA_URL, RESOURCE } from './jwt-daemon.js';

const CHALLENGE = `Bearer resource_metadata="${METADATA_URL}", scope="tools:call"`;
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('every transport is guarded', () => {
  let setup: JwtDaemon;
  let base: string;

  before(async () => {
    setup = await JwtDaemon.start({ requiredScopes: 'tools:call' });
    base = setup.daemon.baseUrl;
  });
  after(async () => {
    await setup?.close();
  });

  it('serves the protected resource metadata (RFC 9728) without a token, at both well-known paths', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const response = await rawRequest(`${base}${path}`, {});
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(response.json, {
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        scopes_supported: ['tools:call'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('keeps /healthz, /readyz and (without --protect-metrics) /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await rawRequest(`${base}${path}`, {});
      assert.equal(response.status, 200, `${path}: ${response.text}`);
    }
  });

  it('answers GET /sse and POST /messages without a valid token with the same 401', async () => {
    const stream = await rawRequest(`${base}/sse`, { headers: { accept: 'text/event-stream' } });
    assertWireError(stream, 401, 'UNAUTHORIZED');
    assert.equal(stream.headers.get('www-authenticate'), CHALLENGE);
    const expired = await setup.token('user-1', { iat: nowSec() - 3600, exp: nowSec() - 600 });
    assertWireError(await rawRequest(`${base}/sse`, { headers: { accept: 'text/event-stream', ...bearer(expired) } }), 401, 'INVALID_TOKEN');

    const post = (headers: Record<string, string>): Promise<RawResponse> =>
      rawRequest(`${base}/messages?sessionId=whatever`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(INITIALIZE) });
    const messages = await post({});
    assertWireError(messages, 401, 'UNAUTHORIZED');
    assert.equal(messages.headers.get('www-authenticate'), CHALLENGE);
    const refused = await post(bearer(expired));
    assertWireError(refused, 401, 'INVALID_TOKEN');
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
  });

  it('opens a legacy SSE session with a valid token, bound to its principal', async () => {
    const alice = await setup.token('user-1');
    const reader = await openSse(`${base}/sse`, { headers: { accept: 'text/event-stream', ...bearer(alice) } });
    try {
      assert.equal(reader.status, 200);
      const endpoint = (await reader.nextEvent()) ?? assert.fail('no endpoint event');
      assert.equal(endpoint.event, 'endpoint');
      const messagesUrl = new URL(endpoint.data, base).toString();
      const post = (token: string | undefined): Promise<RawResponse> =>
        rawRequest(messagesUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(INITIALIZE) });
      assertWireError(await post(undefined), 401, 'UNAUTHORIZED');
      assertWireError(await post(await setup.token('user-2')), 404, 'SESSION_NOT_FOUND');
      assert.equal((await post(alice)).status, 202);
      const answer = (await reader.nextEvent()) ?? assert.fail('no answer on the stream');
      assert.equal((JSON.parse(answer.data) as { id: number }).id, 1);
    } finally {
      reader.cut();
    }
  });

  it('refuses the WebSocket upgrade with an HTTP 401 (or 403) before upgrading', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['no token', {}, 401, 'UNAUTHORIZED'],
      ['expired', bearer(await setup.token('user-1', { iat: nowSec() - 3600, exp: nowSec() - 600 })), 401, 'INVALID_TOKEN'],
      ['another audience', bearer(await setup.token('user-1', { aud: 'https://other.example.com/mcp' })), 401, 'INVALID_TOKEN'],
      ['missing scope', bearer(await setup.token('user-1', { scope: 'tools:read' })), 403, 'INSUFFICIENT_SCOPE'],
    ];
    for (const [what, headers, status, reason] of cases) {
      const upgrade = await upgradeWs(setup.daemon, headers);
      assert.equal(upgrade.opened, false, `${what}: the upgrade happened`);
      if (upgrade.opened) continue;
      assert.equal(upgrade.status, status, `${what}: ${upgrade.body}`);
      assert.equal((JSON.parse(upgrade.body) as ErrorBody).error.data?.reason, reason, what);
      const challenge = String(upgrade.headers['www-authenticate']);
      if (reason === 'UNAUTHORIZED') assert.equal(challenge, CHALLENGE);
      else assert.ok(challenge.includes(`resource_metadata="${METADATA_URL}"`), `${what}: ${challenge}`);
    }
  });

  it('upgrades with a valid token and serves MCP over the WebSocket', async () => {
    const upgrade = await upgradeWs(setup.daemon, bearer(await setup.token('user-1')));
    assert.ok(upgrade.opened, 'the upgrade was refused');
    if (!upgrade.opened) return;
    const { ws } = upgrade;
    try {
      const answered = once(ws, 'message');
      ws.send(JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-06-18' } }));
      const [data] = (await answered) as [Buffer];
      const message = JSON.parse(data.toString('utf8')) as { id: number; result?: { serverInfo: { name: string } } };
      assert.equal(message.id, 1);
      assert.equal(message.result?.serverInfo.name, 'echo-fixture');
    } finally {
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    }
  });

  it('never logs a token', async () => {
    await assertNothingLogged(setup.daemon, setup.issued);
  });
});
