/**
 * --max-sessions-per-principal: one principal over its share gets 429 PRINCIPAL_SESSION_LIMIT with
 * Retry-After on every transport (the WebSocket before its upgrade), nothing is spawned, and other
 * principals are not affected; a session the principal ends gives its place back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { rawRequest, sessionHeaders } from '../helpers/http.js';
import { processesTagged } from '../helpers/process-table.js';
import { assertNothingLogged, assertWireError, bearer, initializeAs, metric, newToken, openSessionAs, upgradeWs, type ErrorBody } from './auth-helpers.js';

const tokens = { alice: newToken('alice'), bob: newToken('bob') };

function childCount(daemon: TestDaemon): number {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).length;
}

describe('--max-sessions-per-principal', () => {
  let daemon: TestDaemon;
  const aliceSessions: string[] = [];

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--max-sessions-per-principal', '2'],
      env: { MCP_SIDECAR_AUTH_TOKENS: `alice:${tokens.alice},bob:${tokens.bob}` },
    });
  });
  after(async () => {
    await daemon?.close();
  });

  it('refuses a principal’s session over the limit with 429 and Retry-After, spawning nothing', async () => {
    aliceSessions.push(await openSessionAs(daemon.url, tokens.alice), await openSessionAs(daemon.url, tokens.alice));
    const children = childCount(daemon);
    const started = await metric(daemon, 'mcp_sidecar_sessions_started_total', ['transport="streamable-http"']);

    const refused = await initializeAs(daemon.url, tokens.alice);
    const body = assertWireError(refused, 429, 'PRINCIPAL_SESSION_LIMIT');
    assert.equal(body.id, 1);
    assert.equal(refused.headers.get('retry-after'), '5');
    const logged = await daemon.waitForLog((line) => line.msg === 'new session refused' && line.reason === 'PRINCIPAL_SESSION_LIMIT');
    assert.equal(logged.principal, 'alice');
    assert.equal(logged.level, 'warn');

    assert.equal(childCount(daemon), children, 'a refused session spawned a child');
    assert.equal(await metric(daemon, 'mcp_sidecar_sessions_started_total', ['transport="streamable-http"']), started);
  });

  it('refuses it on legacy SSE and on the WebSocket upgrade too', async () => {
    const sse = await rawRequest(`${daemon.baseUrl}/sse`, { headers: { accept: 'text/event-stream', ...bearer(tokens.alice) } });
    assertWireError(sse, 429, 'PRINCIPAL_SESSION_LIMIT');
    assert.equal(sse.headers.get('retry-after'), '5');

    const upgrade = await upgradeWs(daemon, bearer(tokens.alice));
    assert.equal(upgrade.opened, false, 'the WebSocket upgrade happened');
    if (upgrade.opened) return;
    assert.equal(upgrade.status, 429);
    assert.equal((JSON.parse(upgrade.body) as ErrorBody).error.data?.reason, 'PRINCIPAL_SESSION_LIMIT');
    assert.equal(upgrade.headers['retry-after'], '5');
  });

  it('counts each principal on its own', async () => {
    const bob = await initializeAs(daemon.url, tokens.bob);
    assert.equal(bob.status, 200, bob.text);
  });

  it('gives the place back when the principal ends a session', async () => {
    const [first] = aliceSessions;
    const ended = await rawRequest(daemon.url, { method: 'DELETE', headers: { ...sessionHeaders(first ?? ''), ...bearer(tokens.alice) } });
    assert.equal(ended.status, 200, ended.text);
    const again = await initializeAs(daemon.url, tokens.alice);
    assert.equal(again.status, 200, again.text);
    assertWireError(await initializeAs(daemon.url, tokens.alice), 429, 'PRINCIPAL_SESSION_LIMIT');
  });

  it('never logs a token', async () => {
    await assertNothingLogged(daemon, Object.values(tokens));
  });
});
